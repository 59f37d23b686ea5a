/**
 * Security checklist section 6, case 47 (log hygiene): a representative run (bad cookies of every
 * class, saves, touches, destroys, store and revocation-store failures, operational errors, configuration
 * errors, and the CLI with a wrong secret) with every log channel captured: the `logger` option, the
 * `onInvalid` hook, console.*, the CLI's stderr, and every thrown error's message, stack and causes. No
 * cookie value, raw session id, secret, ikm or derived key may appear in any of it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../../src/cli.ts';
import { defaultCrypto } from '../../../src/codec/crypto.ts';
import { deriveEncryptionKey, deriveMacKey } from '../../../src/codec/keys.ts';
import { parseHeader } from '../../../src/codec/seal.ts';
import { createSessionManager } from '../../../src/manager.ts';
import type { SessionOptions } from '../../../src/options.ts';
import { fileStorage } from '../../../src/storage/file.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import type { Storage } from '../../../src/storage/types.ts';
import { b64, bed, COOKIE, cookieValue, Flags, forge, hex, issue, materialOf, OTHER_SECRET, SECRET, visit, visitNode, type Manager } from './support.ts';

const FALLBACK = 'logging-fallback-secret-Hq2Wn8Vx4Kp6Zt0Ry3';
const SHORT = 'sh0rt-log-Secret';
const CLI_WRONG = 'cli-wrong-secret-Lm5Nb7Vc9Xz1Qa3Ws5Ed7';
const crypto = defaultCrypto();

/** Everything that could leak, gathered while the flow runs. */
class Secrets {
  readonly forbidden = new Map<string, string>();
  add(kind: string, value: string): void {
    if (value.length >= 12) this.forbidden.set(value, kind);
  }
  bytes(kind: string, value: Uint8Array): void {
    for (const text of [hex(value), b64(value), Buffer.from(value).toString('base64')]) this.add(kind, text);
  }
  secret(secret: string): void {
    this.add('secret', secret);
    const m = materialOf(secret);
    this.bytes('ikm', m.ikm);
    this.bytes('prk', m.prk);
  }
  /** A cookie value: itself, its header, its payload, its id and every key derived from the id. */
  cookie(value: string, secrets: readonly string[]): void {
    this.add('cookie value', value);
    const header = parseHeader(value);
    if (header === null) return;
    this.add('cookie header', value.slice(0, 110));
    if (value.length > 130) this.add('cookie payload', value.slice(110));
    this.bytes('session id', header.sid);
    for (const s of secrets) {
      const enc = deriveEncryptionKey(crypto, materialOf(s), header.sid);
      this.bytes('encryption key', enc.key);
      this.bytes('iv', enc.iv);
      this.bytes('mac key', deriveMacKey(crypto, materialOf(s), header.sid));
    }
  }
  /** Where any forbidden string occurs in `texts`. */
  leaks(texts: readonly string[], except: readonly string[] = []): string[] {
    const out: string[] = [];
    for (const [value, kind] of this.forbidden) {
      if (except.includes(kind)) continue;
      for (const t of texts) if (t.includes(value)) out.push(`${kind} in ${JSON.stringify(t.slice(0, 160))}`);
    }
    return out;
  }
}

/** Message, stack and the whole cause chain of a thrown value. */
function describeError(err: unknown, depth = 0): string[] {
  if (!(err instanceof Error)) return [String(err)];
  const out = [String(err), err.message, err.stack ?? '', JSON.stringify(err) ?? ''];
  return depth < 5 && err.cause !== undefined ? [...out, ...describeError(err.cause, depth + 1)] : out;
}

describe('security checklist 6, case 47: log hygiene', () => {
  it('case 47: no cookie value, raw id, secret, ikm or derived key in any log line, hook event or error', async () => {
    const logs: string[] = [];
    const errors: string[] = [];
    const cliOut: string[] = [];
    const secrets = new Secrets();
    const all = [SECRET, FALLBACK, SHORT, OTHER_SECRET, CLI_WRONG];
    for (const s of all) secrets.secret(s);
    const restore: Array<() => void> = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => void logs.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a) ?? String(a))).join(' '));
      restore.push(() => (console[method] = original));
    }
    const attempt = async (fn: () => unknown): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        errors.push(...describeError(err));
      }
    };
    const seen = (lines: readonly string[]): void => {
      for (const line of lines) secrets.cookie(line.split(';', 1)[0]!.slice(line.indexOf('=') + 1), all);
    };
    const failing = (what: string): Storage => {
      const fail = async (): Promise<never> => {
        throw new Error(`${what} backend exploded`);
      };
      return { name: what, get: fail, set: fail, delete: fail };
    };
    try {
      const logger = { warn: (m: string) => void logs.push(String(m)) };
      const onInvalid = (e: unknown): void => void logs.push(JSON.stringify(e));
      const b = bed({ logger, onInvalid, secretFallbacks: [FALLBACK] });
      const make = (o: SessionOptions = {}): Manager => b.manager(o);
      // Warnings: a short secret (console by default, and the logger), a failing-open revocation store.
      await attempt(() => createSessionManager({ secret: SHORT }));
      const cookieMode = make();
      const store = memoryStorage();
      const serverMode = make({ storage: store, storeMetadata: true, remember: true, rememberSafety: 'low' });
      const revocable = make({ revocation: { storage: memoryStorage() } });
      const openFail = make({ revocation: { storage: failing('revocation'), failMode: 'open' } });
      const closedFail = make({ revocation: { storage: failing('revocation') } });
      const storeFail = make({ storage: failing('store') });
      const chunky = make({ compressionThreshold: 0, cookie: { maxSize: 36_864 } });
      const legacy = b.manager({ secret: FALLBACK });

      // Ordinary traffic, recording every cookie issued.
      const cookies: string[] = [];
      for (const m of [cookieMode, serverMode, revocable, chunky, legacy]) {
        for (let i = 0; i < 3; i++) {
          const v = await visit(m);
          v.session.setData({ i, blob: m === chunky ? 'z'.repeat(9000) : 'x' });
          v.session.setSubject(`user-${i}`);
          await v.session.save();
          seen(v.lines());
          secrets.add('session id', v.session.id);
          cookies.push(v.cookie()!);
        }
      }
      for (const cookie of cookies) {
        for (const m of [cookieMode, serverMode, revocable]) {
          const v = await visit(m, cookie, 'start');
          await attempt(async () => {
            v.session.touch();
            await v.session.regenerate();
            await v.session.save();
          });
          seen(v.lines());
        }
      }
      // Bad cookies of every class.
      const valid = cookieValue(cookies[0]!);
      const bad = [
        'garbage', valid.slice(0, 100), valid.slice(0, 150), `${valid}AAAA`, 'A'.repeat(50_000), // malformed, oversized
        valid.replace(/^(.{60})./, (_, p: string) => `${p}${valid[60] === 'A' ? 'B' : 'A'}`), // unauthenticated
        `${valid.slice(0, 120)}${valid[120] === 'A' ? 'B' : 'A'}${valid.slice(121)}`, // tampered
        forge({ creationTime: 0 }).value, forge({ creationTime: 2 ** 40 - 1 }).value, forge({ secret: OTHER_SECRET }).value, // expired, future, foreign
        forge({ flags: Flags.storage }).header, // flags here, not-found for a store
        cookieValue(cookies[9]!), // chunked without its chunks: missing-chunk
      ];
      for (const value of bad) secrets.cookie(value, all);
      for (const m of [cookieMode, serverMode, revocable, openFail]) for (const value of bad) await attempt(() => visitNode(m, `${COOKIE}=${value}`, 'start'));
      // Event listeners that throw with ids and data in their messages, and a schema whose issues quote
      // the data: the logger gets a line naming the event and the error's class, nothing of the payload.
      const refuse = { '~standard': { version: 1 as const, vendor: 'test', validate: (v: unknown) => ({ issues: [{ message: `refused ${JSON.stringify(v)}`, path: ['i'] }] }) } };
      const listened = make({ schema: refuse, schemaVersion: 2, migrate: (d) => d });
      for (const event of ['created', 'saved', 'refreshed', 'regenerated', 'destroyed', 'invalid', 'attributeAdded', 'attributeRemoved'] as const) {
        listened.on(event, (e) => {
          throw new Error(`listener saw ${JSON.stringify({ ...e, session: undefined })}`);
        });
      }
      listened.onBinding('i', { unbound: ({ value }) => Promise.reject(new Error(`unbound ${JSON.stringify(value)}`)) });
      for (let i = 0; i < 3; i++) {
        const v = await visit(listened);
        v.session.set('i', i).setSubject(`user-${i}`);
        await v.session.save();
        await v.session.regenerate();
        seen(v.lines());
        secrets.add('session id', v.session.id);
        await attempt(() => visit(listened, v.cookie(), 'start')); // refused by the schema
        await attempt(() => v.session.destroy());
        seen(v.lines());
      }
      // Logout, revocation, replay, resurrection, closed sessions.
      for (const m of [serverMode, revocable]) {
        for (let i = 0; i < 3; i++) {
          const cookie = await issue(m, { race: i }, `user-${i}`);
          seen(cookie.split('; '));
          const a = await visit(m, cookie);
          const other = await visit(m, cookie);
          await attempt(() => other.session.destroy());
          await attempt(() => (a.session.set('late', 1), a.session.save())); // SESSION_REVOKED
          await attempt(() => other.session.get('x')); // SESSION_CLOSED
          await attempt(() => visit(m, cookie, 'start')); // revoked / not-found
          seen([...a.lines(), ...other.lines()]);
        }
      }
      await attempt(() => revocable.revokeSubject('user-1'));
      await attempt(() => serverMode.revokeSubject('user-2'));
      await attempt(() => cookieMode.listSessions('user-1')); // TypeError: no index
      // Operational failures: stores and revocation stores failing, too large, headers sent.
      for (const cookie of cookies.slice(0, 6)) {
        for (const m of [storeFail, closedFail, openFail]) await attempt(() => visit(m, cookie, 'start'));
      }
      await attempt(async () => {
        const v = await visit(storeFail);
        v.session.set('n', 1);
        await v.session.save();
      });
      await attempt(async () => {
        const v = await visit(chunky);
        v.session.set('d', 'q'.repeat(40_000));
        await v.session.save();
      });
      await attempt(async () => {
        const res = { headersSent: true, getHeader: () => undefined, setHeader: () => undefined };
        const s = await cookieMode.open({ headers: {} }, res);
        s.set('n', 1);
        await s.save();
      });
      // Configuration errors, some with key material in the options.
      const ikm = materialOf(SECRET).ikm;
      for (const options of [{ secret: 42 }, { secret: SECRET, secretFallbacks: SECRET }, { secret: SECRET, secretFallbacks: [''] }, { ikm: ikm.subarray(0, 31) },
        { ikm, ikmFallbacks: [ikm.subarray(1)] }, { secret: SECRET, idlingTimeout: -1 }, { secret: SECRET, storage: {} }, { secret: SECRET, cookie: { domain: 'a;b' } },
        { secret: SECRET, revocation: { storage: memoryStorage(), failMode: 'sideways' } }]) {
        await attempt(() => createSessionManager(options as SessionOptions));
      }
      // The CLI, with a wrong secret, the right one, and a mistyped flag carrying a secret.
      const io = { stdout: (s: string) => void cliOut.push(s), stderr: (s: string) => void logs.push(s) };
      for (const argv of [['inspect', '--secret', CLI_WRONG, valid], ['inspect', '--secret', SECRET, cookies[0]!], [`--secrett=${SECRET}`], ['inspect', `--secrett=${SECRET}`, valid],
        ['inspect', '--secret', CLI_WRONG, '--secret', FALLBACK, '--storage', forge({ flags: Flags.storage }).header], ['inspect', '--ikm-hex', hex(ikm), `Cookie: ${cookies[9]!}`]]) {
        await attempt(() => main(argv, io));
      }
    } finally {
      for (const r of restore) r();
    }
    assert.ok(secrets.forbidden.size > 500, `${secrets.forbidden.size} strings watched`);
    assert.ok(logs.length > 100 && errors.length > 40 && cliOut.length === 4, `${logs.length} log lines, ${errors.length} error texts, ${cliOut.length} CLI outputs`);
    assert.ok(logs.some((l) => l.includes('failing open')) && logs.some((l) => l.includes('"secret" is 16 characters')), 'the warnings were captured');
    assert.ok(errors.some((e) => e.includes('backend exploded')), 'causes were captured');
    assert.ok(logs.some((l) => l.includes('"destroyed" listener failed (Error)')) && logs.some((l) => l.includes('unbound listener of "i" failed')), 'listener failures were logged');
    for (const reason of ['malformed', 'oversized', 'flags', 'unauthenticated', 'tampered', 'expired', 'missing-chunk', 'not-found', 'revoked', 'schema']) {
      assert.ok(logs.some((l) => l.includes(`"reason":"${reason}"`)), `the run produced a '${reason}' event`);
    }
    for (const code of ['STORAGE_ERROR', 'SESSION_REVOKED', 'SESSION_CLOSED', 'SESSION_TOO_LARGE', 'HEADERS_SENT', 'TypeError', 'RangeError']) {
      assert.ok(errors.some((e) => e.includes(code)), `the run produced a ${code}`);
    }
    assert.ok(secrets.leaks([`x${[...secrets.forbidden.keys()][7]!}x`]).length === 1, 'the scan finds a planted leak');
    assert.deepEqual(secrets.leaks([...logs, ...errors]), []);
    // The CLI's stdout is its report: it prints the header it was given (the id included) by design, but
    // never a secret, a key or the cookie value itself.
    assert.deepEqual(secrets.leaks(cliOut, ['session id']), []);
  });

  it(
    'case 47: file-store I/O errors do not carry the raw session id in their causes',
    async () => {
      const directory = await mkdtemp(join(tmpdir(), 'httpsession-logging-'));
      try {
        const sid = new Uint8Array(32).fill(7);
        const raw = b64(sid);
        const m = bed({ storage: fileStorage({ directory }), randomBytes: (n) => (n === 32 ? sid : new Uint8Array(n)) }).manager();
        const texts: string[] = [];
        const cookie = await issue(m, { n: 1 });
        // Read path: the record file replaced by a symlink loop (ELOOP on open).
        const record = join(directory, `${COOKIE}_${raw}`);
        await unlink(record);
        await symlink(record, record);
        await visit(m, cookie).catch((err: unknown) => void texts.push(...describeError(err)));
        // Write path: the record path taken by a directory (EISDIR on rename).
        await unlink(record);
        await mkdir(join(record, 'inside'), { recursive: true });
        const v = await visit(m);
        v.session.set('n', 2);
        await v.session.save().catch((err: unknown) => void texts.push(...describeError(err)));
        assert.ok(texts.some((t) => t.includes('file storage failed')), 'both operations failed as expected');
        assert.deepEqual(texts.filter((t) => t.includes(raw)), [], 'the raw id appears in an error text');
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  );
});
