/**
 * Security checklist section 6, cases 29-33 (lifecycle and fixation): never-issued ids get a new id,
 * login/subject change and regenerate end the old id at once, logout replay fails for every store (and
 * the cookie-storage window is bounded and documented), revokeSubject reaches every session of a subject
 * across audiences, hostile ids never reach a store, and store keys are namespaced.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileStorage } from '../../../src/storage/file.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import { redisStorage } from '../../../src/storage/redis.ts';
import type { Storage } from '../../../src/storage/types.ts';
import {
  assertNoSession,
  assertReasons,
  b64,
  backends,
  bed,
  COOKIE,
  cookieValue,
  countingStorage,
  docsText,
  Flags,
  forge,
  HEADER_TEXT_SIZE,
  issue,
  Jar,
  REMEMBER,
  sidOf,
  T0,
  visit,
  visitNode,
  type Bed,
  type Manager,
} from './support.ts';

const BACKENDS = await backends();
/** Replays `cookie`; asserts no session, the given reasons, and that start() writes nothing either. */
async function assertDead(b: Bed, m: Manager, cookie: string, reasons: readonly string[], label: string): Promise<void> {
  b.take();
  assertNoSession(await visit(m, cookie), label);
  assertNoSession(await visit(m, cookie, 'start'), `${label} (start)`);
  assert.deepEqual(b.take().map((e) => e.reason), [...reasons, ...reasons], label);
}

/** A login: the anonymous session gets a subject (or is regenerated) and is saved; returns the new cookie. */
async function login(m: Manager, cookie: string, how: 'setSubject' | 'regenerate'): Promise<string> {
  const v = await visit(m, cookie);
  assert.equal(v.session.isNew, false);
  if (how === 'setSubject') {
    v.session.setSubject('alice');
    await v.session.save();
  } else await v.session.regenerate();
  return v.cookie()!;
}

describe('security checklist 6, cases 29-33: lifecycle and fixation', () => {
  it('case 29: a well-formed, authentic but never-issued id → new session with a different id, onInvalid not-found', async () => {
    const counted = countingStorage(memoryStorage());
    const b = bed({ storage: counted.storage });
    const m = b.manager();
    const planted = forge({ flags: Flags.storage });
    const v = await visit(m, `${COOKIE}=${planted.header}`);
    assertNoSession(v);
    assertReasons(b.take(), ['not-found']);
    assert.notEqual(v.session.id, b64(planted.sid));
    v.session.set('user', 'alice');
    await v.session.save();
    const issued = sidOf(cookieValue(v.cookie()!));
    assert.notEqual(issued, b64(planted.sid), 'the planted id is never adopted');
    assert.deepEqual(counted.calls.map(([op, key]) => [op, key === b64(planted.sid)]), [['get', true], ['set', false]]);
    assert.equal(await counted.storage.get(COOKIE, b64(planted.sid), T0), null, 'no record was created under it');
  });

  for (const how of ['setSubject', 'regenerate'] as const) {
    it(`case 29: ${how} then save → a new id, and the old cookie stops opening at once (no stale window)`, async () => {
      for (const [label, options, reason] of [
        ['memory store', { storage: memoryStorage() }, 'not-found'],
        ['cookie storage + revocation', { revocation: { storage: memoryStorage() } }, 'revoked'],
      ] as const) {
        const b = bed(options);
        const m = b.manager();
        const before = await issue(m, { cart: 3 });
        // Contrast: an ordinary save leaves the replaced cookie usable (staleTtl or until its timeouts).
        const plain = await visit(m, before);
        await plain.session.save();
        assert.equal((await visit(m, before)).session.isNew, false, `${label}: an ordinary save keeps the old id alive`);
        const after = await login(m, before, how);
        assert.notEqual(sidOf(cookieValue(after)), sidOf(cookieValue(before)), `${label}: a new id`);
        const fresh = await visit(m, after);
        assert.deepEqual([fresh.session.get('cart'), fresh.session.subject], [3, how === 'setSubject' ? 'alice' : undefined]);
        await assertDead(b, m, before, [reason], `${label} ${how}: the pre-login cookie`);
        if (label === 'memory store') assert.equal(await options.storage!.get(COOKIE, sidOf(cookieValue(before)), T0), null, 'its record is gone');
      }
    });
  }

  for (const backend of BACKENDS) {
    it(`case 30: logout replay → no session (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { options, release } = await backend.create();
      try {
        const b = bed(options);
        const m = b.manager();
        for (const end of ['logout', 'destroy'] as const) {
          const cookie = await issue(m, { user: 'alice' }, 'alice');
          const v = await visit(m, cookie);
          await v.session[end]();
          assert.deepEqual(new Jar(cookie).apply(v.lines()).header(), undefined, 'the browser is told to drop it');
          await assertDead(b, m, cookie, [options.storage === undefined ? 'revoked' : 'not-found'], `${backend.name} ${end}`);
        }
      } finally {
        await release();
      }
    });
  }

  it('case 30: cookie storage without revocation: a replayed logged-out cookie opens until its timeouts (documented window)', async () => {
    const b = bed();
    const m = b.manager();
    const cookie = await issue(m, { user: 'alice' });
    await (await visit(m, cookie)).session.destroy();
    b.clock.set(T0 + 900);
    assert.equal((await visit(m, cookie)).session.get('user'), 'alice', 'still opens: the server kept nothing');
    b.clock.set(T0 + 901);
    assertNoSession(await visit(m, cookie), 'an unused copy dies at the idle timeout');
    // A thief who keeps using the copy renews it like its owner would, but only up to the absolute timeout.
    const jar = new Jar(cookie);
    for (let t = 800; t <= 86_400; t += 800) {
      b.clock.set(T0 + t);
      const v = await visit(m, jar.header(), 'start');
      assert.equal(v.session.get('user'), 'alice', `at ${t}`);
      jar.apply(v.lines());
    }
    b.clock.set(T0 + 86_401);
    assertNoSession(await visit(m, jar.header(), 'start'), 'dead at absolute + 1 s');
    assert.match(docsText(), /a copy of an old cookie stays valid until its idle, rolling or absolute timeout passes/, 'the docs state the window');
  });

  it('case 31: revokeSubject with a revocation store rejects every session of the subject in every audience', async () => {
    const b = bed({ revocation: { storage: memoryStorage() }, remember: true, rememberSafety: 'none' });
    const app1 = b.manager({ audience: 'app1' });
    const app2 = b.manager({ audience: 'app2' });
    const laptop1 = await issue(app1, { n: 1 }, 'alice');
    const both = await (async () => {
      const v = await visit(app2, laptop1);
      v.session.setSubject('alice');
      v.session.set('n', 2);
      await v.session.save();
      return v.cookie()!;
    })();
    const phone = await issue(app2, { n: 3 }, 'alice');
    const bob = await issue(app1, { n: 4 }, 'bob');
    b.clock.advance(1); // times are whole seconds: sessions of the same second as the call survive it
    assert.equal(await app1.revokeSubject('alice'), 0, 'no server-side records to count');
    for (const [m, cookie, label] of [[app1, laptop1, 'laptop in app1'], [app1, both, 'laptop in app1 (after app2 joined)'], [app2, both, 'laptop in app2'], [app2, phone, 'phone in app2']] as const) {
      await assertDead(b, m, `${COOKIE}=${cookieValue(cookie)}`, ['revoked'], label);
      const rememberOnly = `${REMEMBER}=${cookieValue(cookie, REMEMBER)}`;
      assertNoSession(await visit(m, rememberOnly), `${label}: the remember cookie cannot restore`);
      assert.deepEqual(b.take().map((e) => [e.cookie, e.reason]), [['remember', 'revoked']]);
    }
    assert.equal((await visit(app1, bob)).session.subject, 'bob', 'other subjects are unaffected');
    const again = await issue(app1, { n: 5 }, 'alice');
    assert.equal((await visit(app1, again)).session.subject, 'alice', 'a session created after the call works');
  });

  it('case 31: revokeSubject with a memory store + storeMetadata deletes the records of the subject only', async () => {
    const storage = memoryStorage();
    const b = bed({ storage, storeMetadata: true });
    const m = b.manager();
    const alice = [await issue(m, { n: 1 }, 'alice'), await issue(m, { n: 2 }, 'alice')];
    const bob = await issue(m, { n: 3 }, 'bob');
    assert.equal((await m.listSessions('alice')).length, 2);
    assert.equal(await m.revokeSubject('alice'), 2);
    for (const cookie of alice) {
      assert.equal(await storage.get(COOKIE, sidOf(cookieValue(cookie)), T0), null, 'record deleted');
      await assertDead(b, m, cookie, ['not-found'], 'alice');
    }
    assert.deepEqual(await m.listSessions('alice'), []);
    assert.equal((await visit(m, bob)).session.subject, 'bob');
  });

  it('case 32: hostile id formats are rejected before any store call; the file store never leaves its directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'httpsession-hostile-'));
    try {
      const counted = countingStorage(memoryStorage());
      const directory = join(root, 'store');
      const files = countingStorage(fileStorage({ directory }));
      const valid = forge({ flags: Flags.storage }).header;
      const hostile = ['../../etc/passwd', '..\\..\\windows\\win.ini', '/etc/passwd', 'C:\\Windows', '*', '?', '[', '[a-z]*', '\n', 'a\nb',
        '%2e%2e%2f', 'x'.repeat(10_000), 'null', 'undefined', 'NaN', '[object Object]', '__proto__', 'user:1', '../'.repeat(37).slice(0, HEADER_TEXT_SIZE)];
      const values = [...hostile, ...hostile.map((h) => h.padEnd(HEADER_TEXT_SIZE, 'A').slice(0, HEADER_TEXT_SIZE)),
        valid.slice(0, 10) + '/..'.repeat(10) + valid.slice(40), b64(new Uint8Array([1, 1, 0, ...new Uint8Array(79)]))];
      for (const storage of [counted.storage, files.storage]) {
        const b = bed({ storage });
        const m = b.manager();
        for (const value of values) {
          for (const cookie of [`${COOKIE}=${value}`, `a=1; ${COOKIE}=${encodeURIComponent(value)}; b=2`]) {
            // (A value over the 4096-byte cookie budget is also answered with its expiry.)
            assertNoSession(await visitNode(m, cookie), JSON.stringify(cookie.slice(0, 30)), value.length > 4096);
          }
        }
      }
      assert.deepEqual(counted.calls, [], 'the memory store was never called');
      assert.deepEqual(files.calls, [], 'nor the file store');
      // Called directly, every store refuses such keys and namespaces before any I/O.
      const redisCalls: string[][] = [];
      const stores: Storage[] = [memoryStorage(), fileStorage({ directory }), redisStorage({ client: { sendCommand: async (args: string[]) => void redisCalls.push(args) } })];
      for (const store of stores) {
        for (const key of hostile) {
          await assert.rejects(store.get(COOKIE, key, T0), TypeError, `${store.name} get ${JSON.stringify(key.slice(0, 20))}`);
          await assert.rejects(store.set({ namespace: COOKIE, key, value: '["x"]', ttl: 60, now: T0 }), TypeError);
          await assert.rejects(store.delete(COOKIE, key, T0), TypeError);
          if (!/^[A-Za-z0-9_-]+$/.test(key)) await assert.rejects(store.get(key, 'A'.repeat(43), T0), TypeError, `${store.name} namespace`);
        }
      }
      assert.deepEqual(redisCalls, [], 'no Redis command was sent');
      assert.equal(existsSync(directory), false, 'the file store never even created its directory');
      assert.deepEqual(readdirSync(root), [], 'nothing was written next to it');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('case 33: store keys are prefix:namespace:base64url(id) (or its hash); no id can collide with another key', async () => {
    const db = new Map<string, string>([['app:user:1', 'admin'], ['app:__Host-session:user:1', 'x']]);
    const touched = new Set<string>();
    const client = {
      async sendCommand(args: string[]): Promise<unknown> {
        const [cmd] = args as [string];
        // A script's keys follow its text and key count; the delete script answers the successor list.
        const keys = cmd === 'EVAL' ? args.slice(3, 3 + Number(args[2])) : [args[1]!];
        for (const k of keys) touched.add(k);
        if (cmd === 'EVAL') return args[1]!.includes('UNLINK') && !args[1]!.includes('PTTL') ? (keys.forEach((k) => db.delete(k)), null) : 1;
        const key = keys[0]!;
        if (cmd === 'SET') return db.set(key, args[2]!) && 'OK';
        if (cmd === 'GET') return db.get(key) ?? null;
        if (cmd === 'UNLINK') return Number(db.delete(key));
        return cmd === 'TTL' ? 100 : 1;
      },
    };
    for (const hashStorageKey of [false, true]) {
      const b = bed({ storage: redisStorage({ client, prefix: 'app' }), hashStorageKey });
      const m = b.manager();
      const cookie = await issue(m, { n: 1 });
      const v = await visit(m, cookie);
      assert.equal(v.session.get('n'), 1);
      await v.session.save();
      await (await visit(m, v.cookie())).session.destroy();
      const sid = sidOf(cookieValue(cookie));
      const expected = hashStorageKey ? b64(new Uint8Array(await crypto.subtle.digest('SHA-256', Buffer.from(sid, 'base64url')))) : sid;
      assert.ok(touched.has(`app:${COOKIE}:${expected}`), `the record key of the id (hashStorageKey ${hashStorageKey})`);
      if (hashStorageKey) assert.ok(![...touched].some((k) => k.endsWith(sid)), 'the raw id is not a key');
    }
    // Records, and a record's successor list (in its Cluster slot: the record's key in braces).
    for (const key of touched) assert.match(key, /^(?:app:__Host-session:[A-Za-z0-9_-]{43}|\{app:__Host-session:[A-Za-z0-9_-]{43}\}:successors)$/);
    assert.equal(db.get('app:user:1'), 'admin', 'other keys are untouched');
    assert.equal(db.get('app:__Host-session:user:1'), 'x');
    for (let i = 0; i < 1000; i++) assert.match(b64(globalThis.crypto.getRandomValues(new Uint8Array(32))), /^[A-Za-z0-9_-]{43}$/);
    await assert.rejects(memoryStorage({ prefix: 'app' }).set({ namespace: COOKIE, key: 'user:1', value: 'x', ttl: 1, now: T0 }), TypeError);
    await assert.rejects(memoryStorage().set({ namespace: 'user:1', key: 'A'.repeat(43), value: 'x', ttl: 1, now: T0 }), TypeError);
  });
});
