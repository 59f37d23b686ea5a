/**
 * Spill-over storage (issue 10), over real HTTP (node:http on 127.0.0.1:0), with the memory store and with
 * the real Redis (skipped without it unless CI=true): a session lives in the cookie while its cookies fit
 * in `cookie.maxSize`, moves to the store when it outgrows it and back when it shrinks, with its data
 * intact and the place it left cleaned up (the record deleted, the chunks expired); remember cookies
 * follow; destroy clears whichever place holds it; and each placement is one of lua-resty-session's two
 * wire formats.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import { Flags } from '../../src/codec/header.ts';
import { parseHeader } from '../../src/codec/seal.ts';
import { isSessionError, type InvalidCookie } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { luaRestySessionCookie, type SessionOptions } from '../../src/options.ts';
import { isSpillover, spillover } from '../../src/spillover.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import type { Storage } from '../../src/storage/types.ts';
import { CookieJar, countingStorage, type StorageCalls } from '../helpers/http.ts';
import { command, redisSkipReason, redisTarget, redisUrl } from '../helpers/redis.ts';

const SECRET = 'spillover-tests-secret-0123456789abcdef';
const skipRedis = await redisSkipReason();
const noop = (): void => {};

/** `n` characters that do not compress much (random base64), so sizes are predictable. */
const randomText = (n: number): string => randomBytes(n).toString('base64').slice(0, n);

interface StoreKind {
  readonly name: string;
  readonly skip: string | undefined;
  /** A fresh store (its own key prefix), and how to release it. */
  open(): Promise<{ store: Storage; close(): Promise<void>; recordKey?: (namespace: string, key: string) => string }>;
}

const kinds: StoreKind[] = [
  { name: 'memory', skip: undefined, open: async () => ({ store: memoryStorage(), close: async () => {} }) },
  {
    name: 'redis',
    skip: skipRedis,
    async open() {
      const client = createClient({ url: redisUrl(), disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: (n) => Math.min(50 * (n + 1), 500) } });
      client.on('error', noop);
      await client.connect();
      const prefix = `spill${randomBytes(6).toString('hex')}`;
      return { store: redisStorage({ client, prefix }), close: async () => void (await client.close()), recordKey: (namespace, key) => `${prefix}:${namespace}:${key}` };
    },
  },
];

/** What the test server's handler answers. */
interface Reply {
  readonly isNew: boolean;
  readonly length: number;
  readonly error?: string;
}

/**
 * A node:http server over `m`: `/save?n=<len>` stores `n` random characters in the session and saves,
 * `/destroy` destroys it, `/remember` switches remember-me on, `/` reports what it opened.
 */
async function server(m: SessionManager): Promise<{ base: string; close(): Promise<void> }> {
  const s = http.createServer((req, res) => {
    void (async () => {
      const session = await m.open(req, res);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (url.pathname === '/save') {
          session.set('d', randomText(Number(url.searchParams.get('n'))));
          if (url.searchParams.has('remember')) session.setRemember(true);
          await session.save();
        } else if (url.pathname === '/destroy') await session.destroy();
        const closed = session.state === 'closed'; // a destroyed session answers only `state`
        const reply: Reply = { isNew: closed ? false : session.isNew, length: closed ? 0 : ((session.get('d') as string | undefined)?.length ?? 0) };
        res.end(JSON.stringify(reply));
      } catch (err) {
        res.statusCode = 500;
        res.end(JSON.stringify({ isNew: session.state === 'closed' ? false : session.isNew, length: 0, error: isSessionError(err) ? err.code : String(err) }));
      }
    })();
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    base,
    close: async () => {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** Runs `fn` against {@link server} over `m`, closed afterwards. */
async function serve(m: SessionManager, fn: (base: string) => Promise<void>): Promise<void> {
  const { base, close } = await server(m);
  try {
    await fn(base);
  } finally {
    await close();
  }
}

/** A GET with the jar's cookies; the jar takes the Set-Cookie lines. */
async function get(base: string, path: string, jar: CookieJar): Promise<{ reply: Reply; setCookies: string[] }> {
  const cookie = jar.header();
  const res = await fetch(`${base}${path}`, cookie === undefined ? {} : { headers: { cookie } });
  const setCookies = res.headers.getSetCookie();
  jar.update(setCookies);
  return { reply: (await res.json()) as Reply, setCookies };
}

/** Where the jar's session cookie keeps its payload, and the storage key of its record. */
function placement(jar: CookieJar, name = 'session'): { stored: boolean; key: string; value: string } {
  const value = jar.get(name)!;
  const header = parseHeader(value)!;
  return { stored: (header.flags & Flags.storage) !== 0, key: base64urlEncode(header.sid), value };
}

const names = (lines: readonly string[], expired: boolean): string[] =>
  lines.filter((l) => l.endsWith('; Max-Age=0') === expired).map((l) => l.split('=', 1)[0]!);

for (const kind of kinds) {
  describe(`spill-over storage (${kind.name})`, { skip: kind.skip ?? false }, () => {
    let store: Storage;
    let close: () => Promise<void> = async () => {};
    let recordKey: ((namespace: string, key: string) => string) | undefined;
    let calls: StorageCalls;
    let counted: Storage;
    before(async () => {
      ({ store, close, recordKey } = await kind.open());
      ({ storage: counted, calls } = countingStorage(store));
    });
    after(async () => close());

    const manager = (options: SessionOptions = {}, events: InvalidCookie[] = []): SessionManager =>
      createSessionManager({
        secret: SECRET,
        logger: { warn: noop },
        rememberSafety: 'low',
        onInvalid: (e) => void events.push(e),
        storage: spillover(counted),
        ...options,
        cookie: { ...luaRestySessionCookie, ...options.cookie },
      });
    const reset = (): void => void (calls.get = calls.set = calls.delete = calls.other = 0);

    it('in the cookie while it fits, in the store once it outgrows the budget, back in the cookie when it shrinks; the data intact, the old place cleaned up', async () => {
      const m = manager();
      await serve(m, async (base) => {
        const jar = new CookieJar();
        reset();
        // Small: in the cookie, no store call at all.
        await get(base, '/save?n=500', jar);
        let p = placement(jar);
        assert.equal(p.stored, false);
        assert.ok(p.value.length > 500);
        assert.deepEqual(calls, { get: 0, set: 0, delete: 0, other: 0 });
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 500 });
        assert.equal(calls.get, 0, 'a cookie-held session is opened without the store');

        // Outgrows the 4096-byte budget: the cookie is the 110-character header, the data in the store.
        const grown = await get(base, '/save?n=6000', jar);
        p = placement(jar);
        assert.equal(p.stored, true);
        assert.equal(p.value.length, 110);
        assert.deepEqual(names(grown.setCookies, false), ['session']);
        assert.equal(calls.set, 1);
        const record = await store.get('session', p.key, Date.now() / 1000);
        assert.match(record!, /^\["[A-Za-z0-9_-]+"\]$/, "lua-resty-session's record format");
        if (recordKey !== undefined) assert.equal(await command(redisTarget(), ['EXISTS', recordKey('session', p.key)]), 1);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 6000 });
        const heldKey = p.key;

        // Grows further: stays in the store, the replaced record kept for staleTtl only.
        await get(base, '/save?n=9000', jar);
        assert.equal(placement(jar).stored, true);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 9000 });

        // Shrinks: back in the cookie, its record deleted.
        const before = calls.delete;
        const storedKey = placement(jar).key;
        await get(base, '/save?n=300', jar);
        p = placement(jar);
        assert.equal(p.stored, false);
        assert.equal(calls.delete, before + 1, 'the record it left is deleted');
        assert.equal(await store.get('session', storedKey, Date.now() / 1000), null);
        assert.notEqual(heldKey, storedKey);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 300 });
      });
    });

    it('a chunked cookie session moving to the store has its chunks expired; moving back it is chunked again', async () => {
      const m = manager({ cookie: { maxSize: 12_000 } });
      await serve(m, async (base) => {
        const jar = new CookieJar();
        await get(base, '/save?n=6000', jar);
        assert.equal(placement(jar).stored, false);
        assert.ok(jar.get('session2') !== undefined, 'two cookies');
        const moved = await get(base, '/save?n=12000', jar);
        assert.equal(placement(jar).stored, true);
        assert.deepEqual(names(moved.setCookies, true), ['session2'], 'the chunk left behind is expired');
        assert.equal(jar.get('session2'), undefined);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 12000 });
        await get(base, '/save?n=6000', jar);
        assert.equal(placement(jar).stored, false);
        assert.ok(jar.get('session2') !== undefined);
        assert.ok(jar.header()!.length <= 12_000);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 6000 });
      });
    });

    it('remember-me: both cookies count against the budget and move together, both ways', async () => {
      const m = manager();
      await serve(m, async (base) => {
        const jar = new CookieJar();
        // 2500 B fits alone, not twice: with remember-me the session goes to the store at once.
        await get(base, '/save?n=1000&remember', jar);
        assert.deepEqual([placement(jar).stored, placement(jar, 'remember').stored], [false, false]);
        await get(base, '/save?n=2500&remember', jar);
        assert.deepEqual([placement(jar).stored, placement(jar, 'remember').stored], [true, true]);
        const rememberKey = placement(jar, 'remember').key;
        assert.notEqual(await store.get('remember', rememberKey, Date.now() / 1000), null);
        // Restored from the remember cookie alone (the session cookie lost): the data comes from the store.
        const onlyRemember = new CookieJar().update([`remember=${jar.get('remember')}`]);
        assert.deepEqual((await get(base, '/', onlyRemember)).reply, { isNew: false, length: 2500 });
        // Shrinks: both back in the cookie, both records gone.
        await get(base, '/save?n=800&remember', jar);
        assert.deepEqual([placement(jar).stored, placement(jar, 'remember').stored], [false, false]);
        assert.equal(await store.get('remember', rememberKey, Date.now() / 1000), null);
        assert.ok(jar.header()!.length <= 4096);
        assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 800 });
      });
    });

    it('touch re-sends the first cookie as the session is held: its first chunk in the cookie, the header alone in the store', async () => {
      let clock = 1_700_000_000;
      const m = manager({ now: () => clock, cookie: { maxSize: 12_000 } });
      for (const [n, stored] of [
        [6000, false],
        [14_000, true],
      ] as const) {
        const headers = new Headers();
        const s = await m.open(new Request('http://127.0.0.1/'), headers);
        s.set('d', randomText(n));
        await s.save();
        const jar = new CookieJar().update(headers.getSetCookie());
        assert.equal(placement(jar).stored, stored);
        clock += 120;
        const touchedHeaders = new Headers();
        const t = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: jar.header()! } }), touchedHeaders);
        assert.equal(await t.refresh(), 'touched');
        const [line] = touchedHeaders.getSetCookie();
        const value = line!.split(';', 1)[0]!.slice('session='.length);
        assert.equal(value.length, jar.get('session')!.length, `${n}: the first cookie keeps its length`);
        assert.notEqual(value, jar.get('session'));
        jar.update(touchedHeaders.getSetCookie());
        const again = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: jar.header()! } }), new Headers());
        assert.equal((again.get('d') as string).length, n, `${n}: the touched cookie opens`);
      }
    });

    it('regenerate in either place ends the old id at once (with a revocation store for the cookie)', async () => {
      const events: InvalidCookie[] = [];
      const m = manager({ revocation: { storage: memoryStorage() } }, events);
      for (const n of [300, 6000]) {
        const headers = new Headers();
        const s = await m.open(new Request('http://127.0.0.1/'), headers);
        s.set('d', randomText(n));
        await s.save();
        const old = new CookieJar().update(headers.getSetCookie()).header()!;
        const again = new Headers();
        const r = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: old } }), again);
        await r.regenerate();
        events.length = 0;
        const replay = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: old } }), new Headers());
        assert.equal(replay.isNew, true, `${n}: the old cookie no longer opens`);
        assert.deepEqual(events.map((e) => e.reason), [n === 300 ? 'revoked' : 'not-found'], String(n));
        const fresh = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: new CookieJar().update(again.getSetCookie()).header()! } }), new Headers());
        assert.equal((fresh.get('d') as string).length, n);
      }
    });

    it('destroy clears whichever place holds the session', async () => {
      const m = manager();
      await serve(m, async (base) => {
        for (const n of [200, 6000]) {
          const jar = new CookieJar();
          await get(base, `/save?n=${n}`, jar);
          const p = placement(jar);
          const copy = new CookieJar().update([`session=${p.value}`]);
          const destroyed = await get(base, '/destroy', jar);
          assert.deepEqual(names(destroyed.setCookies, true), ['session']);
          assert.equal(jar.header(), undefined);
          if (p.stored) {
            assert.equal(await store.get('session', p.key, Date.now() / 1000), null);
            assert.deepEqual((await get(base, '/', copy)).reply, { isNew: true, length: 0 }, 'a copy of a store-held cookie is dead');
          }
        }
      });
    });

    it('a session destroyed by another request while this one moves it back to the cookie is not brought back', async () => {
      const m = manager();
      await serve(m, async (base) => {
        const jar = new CookieJar();
        await get(base, '/save?n=6000', jar);
        assert.equal(placement(jar).stored, true);
        const other = new CookieJar().update([`session=${jar.get('session')}`]);
        // Request A has opened the session; request B destroys it; A then saves a smaller session.
        const headers = new Headers();
        const a = await m.open(new Request('http://127.0.0.1/', { headers: { cookie: jar.header()! } }), headers);
        await get(base, '/destroy', other);
        a.set('d', 'small');
        await assert.rejects(a.save(), (err: unknown) => isSessionError(err, 'SESSION_REVOKED'));
        assert.deepEqual(headers.getSetCookie(), [], 'nothing written');
      });
    });

    it("each placement is one of lua-resty-session's formats: a plain cookie-storage manager opens the cookie-held session, a plain store manager the store-held one", async () => {
      const m = manager();
      const events: InvalidCookie[] = [];
      const plain = (storage: Storage | undefined): SessionManager =>
        createSessionManager({ secret: SECRET, logger: { warn: noop }, cookie: luaRestySessionCookie, storage, onInvalid: (e) => void events.push(e) });
      const cookieOnly = plain(undefined);
      const storeOnly = plain(store);
      await serve(m, async (base) => {
        for (const [n, reader, other] of [
          [300, cookieOnly, storeOnly],
          [6000, storeOnly, cookieOnly],
        ] as const) {
          const jar = new CookieJar();
          await get(base, `/save?n=${n}`, jar);
          const request = (): Request => new Request('http://127.0.0.1/', { headers: { cookie: jar.header()! } });
          const opened = await reader.open(request(), new Headers());
          assert.equal((opened.get('d') as string).length, n);
          events.length = 0;
          assert.equal((await other.open(request(), new Headers())).isNew, true);
          assert.deepEqual(events.map((e) => e.reason), ['flags'], 'the other kind of manager refuses it, as lua-resty-session does');
        }
        // And the reverse: sessions saved by either plain manager open under spill-over.
        for (const writer of [cookieOnly, storeOnly]) {
          const headers = new Headers();
          const s = await writer.open(new Request('http://127.0.0.1/'), headers);
          s.set('d', 'abc');
          await s.save();
          const jar = new CookieJar().update(headers.getSetCookie());
          assert.deepEqual((await get(base, '/', jar)).reply, { isNew: false, length: 3 });
        }
      });
    });
  });
}

describe('spillover()', () => {
  it('wraps a store (delegating every call) and is recognised; refuses what is not a store', async () => {
    const inner = memoryStorage();
    const s = spillover(inner);
    assert.equal(isSpillover(s), true);
    assert.equal(isSpillover(inner), false);
    assert.equal(s.name, 'memory');
    assert.equal(s.store, inner);
    assert.equal(typeof s.readMetadata, 'function');
    await s.set({ namespace: 'session', key: 'A'.repeat(43), value: '["x"]', ttl: 60, now: 1000 });
    assert.equal(await s.get('session', 'A'.repeat(43), 1000), '["x"]');
    await s.delete('session', 'A'.repeat(43), 1000);
    assert.equal(await inner.get('session', 'A'.repeat(43), 1000), null);
    assert.deepEqual(await s.readMetadata!('session', 'a', 'b', 1000), new Map());
    await s.close?.();
    const minimal = spillover({ name: 'min', get: async () => null, set: async () => {}, delete: async () => {} });
    assert.equal(minimal.readMetadata, undefined);
    assert.equal(minimal.close, undefined);
    for (const bad of [undefined, null, {}, { get() {}, set() {} }, 'redis']) {
      assert.throws(() => spillover(bad as unknown as Storage), (err: unknown) => err instanceof TypeError && err.message.startsWith('"spillover" expected a Storage'));
    }
    const m = createSessionManager({ secret: SECRET, storage: s });
    assert.equal(m.options.spill, true);
    assert.equal(createSessionManager({ secret: SECRET, storage: inner }).options.spill, false);
  });
});
