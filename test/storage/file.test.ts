/**
 * The file store beyond the shared conformance suite: path safety (checklist case 32), the self-validating
 * file format and crashes mid-write (case 40), concurrent writers (case 41), environment errors (case 42),
 * the sweep, stale TTLs and the metadata index.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isSessionError, SessionError } from '../../src/errors.ts';
import { fileStorage, type FileStorageOptions } from '../../src/storage/file.ts';
import type { StorageMetadata } from '../../src/storage/types.ts';

const NOW = 1_700_000_000;
const NS = 'session';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const isRoot = process.getuid?.() === 0;

/** A distinct, valid 43-character storage key per label. */
function key(label: string | number): string {
  const s = String(label);
  return 'k'.repeat(43 - s.length) + s;
}

const meta = (audience: string, subject: string): StorageMetadata => ({ audiences: [audience], subjects: [subject] });

let root = '';
let counter = 0;
/** A fresh, not yet existing directory for one store. */
const freshDir = (): string => join(root, `store-${++counter}`);
const store = (options: Partial<FileStorageOptions> = {}): ReturnType<typeof fileStorage> =>
  fileStorage({ directory: freshDir(), sweepProbability: 0, ...options });
const dirOf = (options: Partial<FileStorageOptions> & { directory: string }): ReturnType<typeof fileStorage> =>
  fileStorage({ sweepProbability: 0, ...options });
const temps = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
const code = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code;

/** Asserts a rejection with a STORAGE_ERROR of the file store whose cause has `causeCode`. */
function storageError(causeCode?: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isSessionError(err, 'STORAGE_ERROR'), `expected STORAGE_ERROR, got ${String(err)}`);
    assert.equal(err.storage, 'file');
    assert.match(err.message, /^file storage failed to /);
    assert.ok(err.cause !== undefined);
    if (causeCode !== undefined) assert.equal(code(err.cause), causeCode);
    return true;
  };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'httpsession-file-'));
});
after(() => rm(root, { recursive: true, force: true }));

describe('fileStorage: options', () => {
  it('requires "directory" to be a non-empty string', () => {
    for (const directory of [undefined, '', 42, null, 'a\0b']) {
      assert.throws(() => fileStorage({ directory } as unknown as FileStorageOptions), (e: unknown) => e instanceof TypeError && /"directory"/.test(e.message));
    }
    assert.throws(() => fileStorage(undefined as unknown as FileStorageOptions), TypeError);
  });

  it('validates prefix, sweepProbability, random and fsync', () => {
    const directory = freshDir();
    assert.throws(() => fileStorage({ directory, prefix: 'a/b' }), (e: unknown) => e instanceof RangeError && /"prefix"/.test(e.message));
    assert.throws(() => fileStorage({ directory, prefix: 'x'.repeat(65) }), RangeError);
    assert.throws(() => fileStorage({ directory, sweepProbability: 1.5 }), RangeError);
    assert.throws(() => fileStorage({ directory, sweepProbability: Number.NaN }), RangeError);
    assert.throws(() => fileStorage({ directory, sweepProbability: '0' as unknown as number }), TypeError);
    assert.throws(() => fileStorage({ directory, random: 0 as unknown as () => number }), TypeError);
    assert.throws(() => fileStorage({ directory, fsync: 'yes' as unknown as boolean }), TypeError);
    assert.equal(fileStorage({ directory, prefix: 'my.app_1-x' }).name, 'file');
  });

  it('creates the directory recursively with mode 0700 on first use, and records with mode 0600', async () => {
    const directory = join(freshDir(), 'a', 'b');
    const s = dirOf({ directory });
    await assert.rejects(stat(directory), (e: unknown) => code(e) === 'ENOENT'); // lazily, not in the factory
    await s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    assert.equal((await stat(directory)).mode & 0o777, 0o700);
    assert.equal((await stat(join(directory, `session_${key(1)}`))).mode & 0o777, 0o600);
  });
  it('re-creates a directory removed behind its back (e.g. by a tmp cleaner)', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    await rm(directory, { recursive: true });
    await s.set({ namespace: NS, key: key(2), value: 'w', ttl: 60, now: NOW });
    assert.deepEqual(await readdir(directory), [`session_${key(2)}`]);
  });
});

describe('fileStorage: names and hostile ids (checklist case 32)', () => {
  it('names records lua-style: <prefix>_<namespace>_<key>, the prefix part omitted when empty', async () => {
    const directory = freshDir();
    await dirOf({ directory, prefix: 'app' }).set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW });
    await dirOf({ directory }).set({ namespace: 'remember', key: key(2), value: 'b', ttl: 60, now: NOW });
    assert.deepEqual((await readdir(directory)).sort(), [`app_session_${key(1)}`, `remember_${key(2)}`]);
  });

  it('rejects hostile keys, namespaces, audiences and subjects with TypeError before any I/O', async () => {
    const parent = freshDir();
    await mkdir(parent);
    const directory = join(parent, 'sessions');
    const s = dirOf({ directory });
    const before = await readdir(parent);
    const hostile = [
      '../../etc/passwd',
      '/etc/passwd',
      `/${'a'.repeat(42)}`,
      `../${'a'.repeat(40)}`,
      `..\\${'a'.repeat(40)}`,
      '..\\..\\windows\\win.ini',
      'C:\\Windows\\system32',
      'a'.repeat(10_000),
      '',
      `${'a'.repeat(42)}\0`,
      'a\0b',
      '..',
      '.',
      '*',
      '?',
      '[',
      `${'a'.repeat(42)}\n`,
      'null',
      'undefined',
    ];
    const typeError = (e: unknown): boolean => e instanceof TypeError;
    for (const bad of hostile) {
      await assert.rejects(s.get(NS, bad, NOW), typeError);
      await assert.rejects(s.set({ namespace: NS, key: bad, value: 'x', ttl: 60, now: NOW }), typeError);
      await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'x', ttl: 60, now: NOW, oldKey: bad }), typeError);
      await assert.rejects(s.delete(NS, bad, NOW), typeError);
      if (bad.length > 64 || !/^[A-Za-z0-9_-]+$/.test(bad)) {
        await assert.rejects(s.get(bad, key(1), NOW), typeError);
        await assert.rejects(s.set({ namespace: bad, key: key(1), value: 'x', ttl: 60, now: NOW }), typeError);
      }
      if (!/^[A-Za-z0-9_-]+$/.test(bad)) {
        await assert.rejects(s.readMetadata(NS, bad, 'c3Vi', NOW), typeError);
        await assert.rejects(s.readMetadata(NS, 'YXVk', bad, NOW), typeError);
        await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'x', ttl: 60, now: NOW, metadata: meta('YXVk', bad) }), typeError);
        await assert.rejects(s.delete(NS, key(1), NOW, meta(bad, 'c3Vi')), typeError);
      }
    }
    await assert.rejects(s.get(NS, null as unknown as string, NOW), typeError);
    // Not even the directory was created: validation ran before the first I/O (the mkdir).
    assert.deepEqual(await readdir(parent), before);
    await assert.rejects(stat(directory), (e: unknown) => code(e) === 'ENOENT');
    // The same store works for valid input, so the rejections above were about the ids.
    await s.set({ namespace: NS, key: key(1), value: 'x', ttl: 60, now: NOW });
    assert.deepEqual(await readdir(parent), [...before, 'sessions']);
    assert.deepEqual(await readdir(directory), [`session_${key(1)}`]);
  });

  it('keys differing only where "_" could shift stay apart, and so do audience/subject splits', async () => {
    const s = store();
    const a = meta('YQ_b', 'Yw');
    const b = meta('YQ', 'b_Yw');
    await s.set({ namespace: NS, key: key('a'), value: 'a', ttl: 60, now: NOW, metadata: a });
    await s.set({ namespace: NS, key: key('b'), value: 'b', ttl: 60, now: NOW, metadata: b });
    assert.deepEqual([...(await s.readMetadata(NS, 'YQ_b', 'Yw', NOW)).keys()], [key('a')]);
    assert.deepEqual([...(await s.readMetadata(NS, 'YQ', 'b_Yw', NOW)).keys()], [key('b')]);
  });

  it('indexes a 10 kB subject under a hashed file name', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    const subject = 'S'.repeat(10_000);
    await s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW, metadata: meta('YXVk', subject) });
    assert.deepEqual([...(await s.readMetadata(NS, 'YXVk', subject, NOW)).keys()], [key(1)]);
    const index = (await readdir(directory)).find((n) => n.endsWith('.meta'));
    assert.match(index ?? '', /^session\.[0-9a-f]{64}\.meta$/);
    assert.equal((await s.readMetadata(NS, 'YXVk', subject.slice(1), NOW)).size, 0);
  });
});

describe('fileStorage: file format and corrupt files (checklist case 40)', () => {
  it('writes "httpsession-file-v1 <exp> <byteLength>\\n<value>", the length counted in bytes', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key(1), value: 'é€😀', ttl: 60, now: NOW });
    const text = await readFile(join(directory, `session_${key(1)}`), 'utf8');
    assert.equal(text, `httpsession-file-v1 ${NOW + 60} 9\né€😀`);
    assert.equal(await s.get(NS, key(1), NOW), 'é€😀');
  });

  it('reads a well-formed hand-written file, and a truncated, padded, zero-byte or foreign one as null, deleting it', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key(0), value: 'seed', ttl: 60, now: NOW }); // creates the directory
    const file = (k: string): string => join(directory, `session_${k}`);
    const body = 'x'.repeat(100);
    const files: Array<[string, string, string | null]> = [
      [key(1), `httpsession-file-v1 ${NOW + 60} 100\n${body}`, body], // the control: valid
      [key(2), `httpsession-file-v1 ${NOW + 60} 100\n${body.slice(0, 50)}`, null], // truncated
      [key(3), `httpsession-file-v1 ${NOW + 60} 100\n${body}y`, null], // longer than claimed
      [key(4), '', null], // zero bytes
      [key(5), `httpsession-file-v1 ${NOW + 60} 100`, null], // header only, no newline
      [key(6), `["${body}"]`, null], // no header (e.g. a lua-resty-session file)
      [key(7), `httpsession-file-v2 ${NOW + 60} 100\n${body}`, null], // another format version
      [key(8), `httpsession-file-v1 soon 100\n${body}`, null],
    ];
    for (const [k, content] of files) await writeFile(file(k), content);
    for (const [k, , expected] of files) {
      assert.equal(await s.get(NS, k, NOW), expected, `file ${k.slice(-1)}`);
      const exists = await stat(file(k)).then(() => true, () => false);
      assert.equal(exists, expected !== null, `file ${k.slice(-1)} kept only when valid`);
    }
  });

  it('expires lazily: live while now < exp, null and removed at exp', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    assert.equal(await s.get(NS, key(1), NOW + 59.999), 'v');
    assert.equal((await readdir(directory)).length, 1);
    assert.equal(await s.get(NS, key(1), NOW + 60), null);
    assert.deepEqual(await readdir(directory), []);
  });

  it('a write killed mid-way (SIGKILL) leaves a complete version, and sweep() removes its temp files', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    const size = 4 << 20;
    // The real clock: sweep() compares temp files' real mtimes with the `now` it is given.
    const now = Math.floor(Date.now() / 1000);
    await s.set({ namespace: NS, key: key(1), value: 'i'.repeat(size), ttl: 86_400, now });
    // Eight writers loop on one key with 4 MiB values 'a'...'h', so a temp file is almost always open.
    const child = [
      "import { fileStorage } from './src/storage/file.ts';",
      'const [directory, k, size, now] = process.argv.slice(1);',
      'const s = fileStorage({ directory, sweepProbability: 0 });',
      'let n = 0;',
      'const loop = async (c) => { for (;;) { await s.set({ namespace: "session", key: k, value: c.repeat(Number(size)), ttl: 86400, now: Number(now) }); if (++n === 8) console.log("written"); } };',
      "for (const c of 'abcdefgh') void loop(c);",
    ].join('\n');
    let leftTemps = 0;
    for (let attempt = 0; attempt < 5 && leftTemps === 0; attempt++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, directory, key(1), String(size), String(now)], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_code, signal) => r(signal)));
      await new Promise<void>((r) => proc.stdout.once('data', () => r()));
      await new Promise((r) => setTimeout(r, 20 + attempt * 7));
      proc.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      const value = await s.get(NS, key(1), now);
      assert.ok(value !== null, 'the record is never lost');
      assert.equal(value.length, size, 'never a partial value');
      assert.match(value.slice(0, 1), /^[a-hi]$/);
      assert.equal(value, value[0]!.repeat(size), 'never a mix of two versions');
      leftTemps = (await temps(directory)).length;
    }
    assert.ok(leftTemps > 0, 'a kill landed mid-write (a temp file was left behind)');
    // Fresh temp files may belong to writes in progress: an hour is needed before they are swept.
    assert.equal(await s.sweep(now), 0);
    assert.equal((await temps(directory)).length, leftTemps);
    const removed = await s.sweep(now + 3660);
    assert.equal(removed, leftTemps);
    assert.deepEqual(await readdir(directory), [`session_${key(1)}`]);
    assert.equal((await s.get(NS, key(1), now))?.length, size);
  });
});

describe('fileStorage: concurrency (checklist case 41)', () => {
  it('50 concurrent writers to one key leave exactly one of the written values and no temp file', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    const values = Array.from({ length: 50 }, (_, i) => JSON.stringify([String(i).repeat(20_000)]));
    await Promise.all(values.map((value) => s.set({ namespace: NS, key: key(1), value, ttl: 60, now: NOW })));
    const value = await s.get(NS, key(1), NOW);
    assert.ok(value !== null && values.includes(value));
    assert.deepEqual(JSON.parse(value), JSON.parse(value)); // valid JSON: no "trailing characters"
    assert.deepEqual(await readdir(directory), [`session_${key(1)}`]);
  });

  it('readers racing writers only ever see complete versions', async () => {
    const s = store();
    const values = ['a', 'b', 'c', 'd'].map((c) => c.repeat(256 * 1024));
    await s.set({ namespace: NS, key: key(1), value: values[0]!, ttl: 60, now: NOW });
    const seen = new Set<string>();
    const writes = Array.from({ length: 20 }, (_, i) => s.set({ namespace: NS, key: key(1), value: values[i % 4]!, ttl: 60, now: NOW }));
    const reads = Array.from({ length: 20 }, async () => {
      const v = await s.get(NS, key(1), NOW);
      assert.ok(v !== null && values.includes(v), 'a read saw a torn or missing record');
      seen.add(v);
    });
    await Promise.all([...writes, ...reads]);
    assert.ok(seen.size >= 1);
  });
});

describe('fileStorage: environment errors (checklist case 42)', () => {
  it('a read-only directory (EACCES) rejects set with STORAGE_ERROR and leaves no temp file', { skip: isRoot && 'running as root, which ignores directory permissions; the ENOTDIR and EISDIR tests cover environment errors instead' }, async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key(1), value: 'old', ttl: 60, now: NOW });
    await chmod(directory, 0o500);
    try {
      await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'new', ttl: 60, now: NOW }), storageError('EACCES'));
      await assert.rejects(s.set({ namespace: NS, key: key(2), value: 'new', ttl: 60, now: NOW }), storageError('EACCES'));
      assert.deepEqual(await readdir(directory), [`session_${key(1)}`]);
      assert.equal(await s.get(NS, key(1), NOW), 'old');
    } finally {
      await chmod(directory, 0o700);
    }
  });

  it('a directory path beneath a regular file (ENOTDIR) rejects every operation with STORAGE_ERROR', async () => {
    const file = join(freshDir() + '.file');
    await writeFile(file, 'not a directory');
    const s = dirOf({ directory: join(file, 'sessions') });
    await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW }), storageError('ENOTDIR'));
    await assert.rejects(s.get(NS, key(1), NOW), storageError('ENOTDIR'));
    await assert.rejects(s.delete(NS, key(1), NOW), storageError('ENOTDIR'));
    await assert.rejects(s.readMetadata(NS, 'YXVk', 'c3Vi', NOW), storageError('ENOTDIR'));
    await assert.rejects(s.sweep(NOW), storageError('ENOTDIR'));
    assert.equal(await readFile(file, 'utf8'), 'not a directory');
  });

  it('a failing rename (a directory squatting on the record name) rejects and removes its temp file', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await mkdir(join(directory, `session_${key(1)}`), { recursive: true });
    await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW }), storageError());
    assert.deepEqual(await readdir(directory), [`session_${key(1)}`]);
    await assert.rejects(s.get(NS, key(1), NOW), storageError('EISDIR'));
  });
});

describe('fileStorage: sweep', () => {
  it('removes expired and corrupt records, dead indexes and stale temp files of this store, and counts them', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, prefix: 'app' });
    for (let i = 0; i < 3; i++) await s.set({ namespace: NS, key: key(`e${i}`), value: 'x', ttl: 10, now: NOW });
    for (let i = 0; i < 2; i++) await s.set({ namespace: NS, key: key(`l${i}`), value: 'x', ttl: 100, now: NOW });
    await s.set({ namespace: NS, key: key('m'), value: 'x', ttl: 10, now: NOW, metadata: meta('YXVk', 'c3Vi') });
    await writeFile(join(directory, `app_session_${key('t')}`), `httpsession-file-v1 ${NOW + 100} 100\nshort`);
    const staleTemp = join(directory, `.app_session_${key('x')}.0123456789abcdef.tmp`);
    const freshTemp = join(directory, `.app_session_${key('y')}.fedcba9876543210.tmp`);
    await writeFile(staleTemp, 'partial');
    await writeFile(freshTemp, 'partial');
    await utimes(staleTemp, NOW - 3601, NOW - 3601);
    await utimes(freshTemp, NOW - 60, NOW - 60);
    // Files that are not this store's must survive, whatever they look like.
    const foreign = ['README', '.hidden.0123456789abcdef.tmp', `other_session_${key('o')}`, `app_session_${key('n')}`];
    for (const name of foreign) await writeFile(join(directory, name), name === `other_session_${key('o')}` ? `httpsession-file-v1 ${NOW} 1\nx` : 'not ours');
    for (const name of foreign) await utimes(join(directory, name), NOW - 7200, NOW - 7200);
    // 3 expired + 1 expired with its index + 1 truncated + 1 stale temp = 7
    assert.equal(await s.sweep(NOW + 50), 7);
    const left = (await readdir(directory)).sort();
    assert.deepEqual(left, [...foreign, `.app_session_${key('y')}.fedcba9876543210.tmp`, `app_session_${key('l0')}`, `app_session_${key('l1')}`].sort());
    assert.equal(await s.sweep(NOW + 50), 0);
  });

  it('returns 0 when the directory does not exist yet', async () => {
    assert.equal(await store().sweep(NOW), 0);
  });

  it('sweepProbability: a set starts a background sweep when random() falls below it, and only then', async () => {
    const run = async (sweepProbability: number, random: number): Promise<string[]> => {
      const directory = freshDir();
      // The first set draws 0.99 (no sweep), the second draws `random`.
      const draws = [0.99, random];
      const s = fileStorage({ directory, sweepProbability, random: () => draws.shift() ?? 0.99 });
      await s.set({ namespace: NS, key: key(1), value: 'old', ttl: 1, now: NOW });
      await s.set({ namespace: NS, key: key(2), value: 'new', ttl: 60, now: NOW + 10 });
      await s.close(); // waits for a background sweep
      return readdir(directory);
    };
    assert.deepEqual(await run(0.5, 0.49), [`session_${key(2)}`]);
    assert.deepEqual((await run(0.5, 0.5)).length, 2);
    assert.deepEqual((await run(0, 0)).length, 2);
  });
});

describe('fileStorage: stale TTL of a replaced record', () => {
  it('shortens the old file to now + staleTtl, never extends it, and tolerates a missing old file', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key('old'), value: 'old', ttl: 100, now: NOW });
    await s.set({ namespace: NS, key: key('new'), value: 'new', ttl: 100, now: NOW + 5, oldKey: key('old'), staleTtl: 10 });
    assert.equal(await readFile(join(directory, `session_${key('old')}`), 'utf8'), `httpsession-file-v1 ${NOW + 15} 3\nold`);
    assert.equal(await s.get(NS, key('old'), NOW + 14), 'old');
    assert.equal(await s.get(NS, key('old'), NOW + 15), null);
    assert.equal(await s.get(NS, key('new'), NOW + 15), 'new');

    await s.set({ namespace: NS, key: key('short'), value: 's', ttl: 5, now: NOW });
    await s.set({ namespace: NS, key: key('n2'), value: 'n', ttl: 100, now: NOW, oldKey: key('short'), staleTtl: 100 });
    assert.equal(await readFile(join(directory, `session_${key('short')}`), 'utf8'), `httpsession-file-v1 ${NOW + 5} 1\ns`);

    await s.set({ namespace: NS, key: key('n3'), value: 'n', ttl: 100, now: NOW, oldKey: key('gone'), staleTtl: 10 });
    await assert.rejects(stat(join(directory, `session_${key('gone')}`)), (e: unknown) => code(e) === 'ENOENT');
    assert.equal(await s.get(NS, key('n3'), NOW), 'n');
  });

  it('a failed write of the new record leaves the old one its full life', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.set({ namespace: NS, key: key('old'), value: 'old', ttl: 100, now: NOW });
    await mkdir(join(directory, `session_${key('new')}`)); // a directory squatting on the new record's name
    await assert.rejects(s.set({ namespace: NS, key: key('new'), value: 'new', ttl: 100, now: NOW, oldKey: key('old'), staleTtl: 10 }), storageError());
    assert.equal(await readFile(join(directory, `session_${key('old')}`), 'utf8'), `httpsession-file-v1 ${NOW + 100} 3\nold`);
  });

  it('reports whether the old record was live: a corrupt or expired one is not', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    const save = (old: string, now = NOW): Promise<unknown> => s.set({ namespace: NS, key: key(`${old}-new`), value: 'n', ttl: 100, now, oldKey: key(old), staleTtl: 10 });
    await s.set({ namespace: NS, key: key('live'), value: 'x', ttl: 100, now: NOW });
    assert.deepEqual(await save('live'), { oldKeyLive: true });
    await writeFile(join(directory, `session_${key('torn')}`), 'httpsession-file-v1 1700000100 9\nshort');
    assert.deepEqual(await save('torn'), { oldKeyLive: false });
    await s.set({ namespace: NS, key: key('done'), value: 'x', ttl: 5, now: NOW });
    assert.deepEqual(await save('done', NOW + 5), { oldKeyLive: false });
    assert.equal(await s.set({ namespace: NS, key: key('same'), value: 'x', ttl: 5, now: NOW, oldKey: key('same'), staleTtl: 1 }), undefined);
  });
});

describe('fileStorage: metadata index', () => {
  const m = meta('c2hvcA', 'YWxpY2U');
  const indexFile = (directory: string): string => join(directory, 'session.c2hvcA.YWxpY2U.meta');
  const lines = async (directory: string): Promise<string[]> => (await readFile(indexFile(directory), 'utf8')).split('\n').filter((l) => l !== '');

  it('appends entries and tombstones, lists the latest live ones whose record exists', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, random: () => 0.99 });
    await s.set({ namespace: NS, key: key(1), value: '1', ttl: 60, now: NOW, metadata: m });
    await s.set({ namespace: NS, key: key(2), value: '2', ttl: 60, now: NOW, oldKey: key(1), staleTtl: 10, metadata: m });
    await s.set({ namespace: NS, key: key(3), value: '3', ttl: 30, now: NOW, metadata: m });
    await s.set({ namespace: NS, key: key(4), value: '4', ttl: 60, now: NOW, metadata: m });
    await s.delete(NS, key(4), NOW, m);
    await s.set({ namespace: NS, key: key(5), value: '5', ttl: 60, now: NOW, metadata: m });
    await s.delete(NS, key(5), NOW); // without metadata: only the missing record file drops it
    assert.deepEqual(await lines(directory), [
      `${key(1)} ${NOW + 60}`,
      `${key(1)} -`,
      `${key(2)} ${NOW + 60}`,
      `${key(3)} ${NOW + 30}`,
      `${key(4)} ${NOW + 60}`,
      `${key(4)} -`,
      `${key(5)} ${NOW + 60}`,
    ]);
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW), new Map([[key(2), NOW + 60], [key(3), NOW + 30]]));
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW + 30), new Map([[key(2), NOW + 60]]));
    assert.equal((await s.readMetadata(NS, 'c2hvcA', 'Ym9i', NOW)).size, 0);
  });

  it('ignores a torn line and keeps the entry appended after it', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, random: () => 0.99 });
    await s.set({ namespace: NS, key: key(1), value: '1', ttl: 60, now: NOW, metadata: m });
    await writeFile(indexFile(directory), `\n${key(1)} ${NOW + 60}\n${key(9)} 17`, { flag: 'a' }); // a crash mid-append
    await s.set({ namespace: NS, key: key(2), value: '2', ttl: 60, now: NOW, metadata: m });
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW), new Map([[key(1), NOW + 60], [key(2), NOW + 60]]));
  });

  it('rewrites an index with more than twice as many dead lines as live entries, keeping the live ones', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, random: () => 0.99 });
    await s.set({ namespace: NS, key: key('keep'), value: 'k', ttl: 600, now: NOW, metadata: m });
    let previous = key(0);
    await s.set({ namespace: NS, key: previous, value: 'v', ttl: 600, now: NOW, metadata: m });
    for (let i = 1; i <= 20; i++) {
      await s.set({ namespace: NS, key: key(i), value: 'v', ttl: 600, now: NOW, oldKey: previous, staleTtl: 0, metadata: m });
      previous = key(i);
    }
    assert.equal((await lines(directory)).length, 2 + 20 * 2);
    const expected = new Map([[key('keep'), NOW + 600], [key(20), NOW + 600]]);
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW), expected);
    assert.deepEqual((await lines(directory)).sort(), [`${key('keep')} ${NOW + 600}`, `${key(20)} ${NOW + 600}`].sort());
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW), expected);
    assert.deepEqual((await temps(directory)), []);
  });

  it('does not rewrite an index whose dead lines are few', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, random: () => 0.99 });
    await s.set({ namespace: NS, key: key(1), value: '1', ttl: 60, now: NOW, metadata: m });
    await s.set({ namespace: NS, key: key(2), value: '2', ttl: 60, now: NOW, oldKey: key(1), staleTtl: 0, metadata: m });
    const before = await readFile(indexFile(directory), 'utf8');
    await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW);
    assert.equal(await readFile(indexFile(directory), 'utf8'), before);
  });

  it('compacts on set now and then, so an index that is never listed stays bounded', async () => {
    const directory = freshDir();
    const s = dirOf({ directory, random: () => 0 });
    let previous = key(0);
    await s.set({ namespace: NS, key: previous, value: 'v', ttl: 600, now: NOW, metadata: m });
    for (let i = 1; i <= 40; i++) {
      await s.set({ namespace: NS, key: key(i), value: 'v', ttl: 600, now: NOW, oldKey: previous, staleTtl: 0, metadata: m });
      previous = key(i);
    }
    assert.ok((await lines(directory)).length < 2 * 16, 'the index was compacted');
    assert.deepEqual(await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW), new Map([[key(40), NOW + 600]]));
  });

  it('deletes an index with no live entry when read, and a delete never creates one', async () => {
    const directory = freshDir();
    const s = dirOf({ directory });
    await s.delete(NS, key(1), NOW, m);
    await assert.rejects(stat(indexFile(directory)), (e: unknown) => code(e) === 'ENOENT');
    await s.set({ namespace: NS, key: key(1), value: '1', ttl: 60, now: NOW, metadata: m });
    assert.equal((await s.readMetadata(NS, 'c2hvcA', 'YWxpY2U', NOW + 60)).size, 0);
    await assert.rejects(stat(indexFile(directory)), (e: unknown) => code(e) === 'ENOENT');
  });
});

describe('fileStorage: close', () => {
  it('is idempotent, and later operations reject with "file storage is closed"', async () => {
    const s = store();
    await s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    await s.close();
    await s.close();
    const closed = (e: unknown): boolean => e instanceof SessionError && e.code === 'STORAGE_ERROR' && e.storage === 'file' && e.message === 'file storage is closed';
    await assert.rejects(s.get(NS, key(1), NOW), closed);
    await assert.rejects(s.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW }), closed);
    await assert.rejects(s.delete(NS, key(1), NOW), closed);
    await assert.rejects(s.readMetadata(NS, 'YXVk', 'c3Vi', NOW), closed);
    await assert.rejects(s.sweep(NOW), closed);
  });

  it('with fsync: true, records round-trip', async () => {
    const s = store({ fsync: true });
    await s.set({ namespace: NS, key: key(1), value: 'durable', ttl: 60, now: NOW });
    assert.equal(await s.get(NS, key(1), NOW), 'durable');
  });
});
