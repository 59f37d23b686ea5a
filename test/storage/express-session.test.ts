// expressSessionStore(): express-session stores as httpsession storage. The shared conformance suite runs
// over express-session's own MemoryStore and over connect-redis 9 on the real Redis (REDIS_URL); then a
// session manager and the Express adapter over connect-redis, with the TTL Redis received checked; then
// the callback contract (double callbacks, throws, ENOENT) with small in-process stores.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { expressSession } from '../../src/adapters/express.ts';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager } from '../../src/manager.ts';
import { expressSessionStore, type BridgedSession, type ExpressSessionStoreLike } from '../../src/storage/express-session.ts';
import { storageConformance } from '../../src/testing/index.ts';
import { Client, serve } from '../helpers/adapters.ts';
import { LONG_SECRET } from '../helpers/http.ts';
import { command, freePort, redisSkipReason, redisTarget, redisUrl } from '../helpers/redis.ts';
import { httpCookie } from '../adapters/scenarios.ts';

const noop = (): void => {};
const KEY = 'a'.repeat(43);
const run = Math.random().toString(36).slice(2, 10);

/** A never-connected node-redis client on a port nothing listens on: every command fails at once. */
async function unreachableClient() {
  const client = createClient({ url: `redis://127.0.0.1:${await freePort()}`, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
  client.on('error', noop);
  return client;
}

describe("expressSessionStore over express-session's MemoryStore: conformance", () => {
  // One MemoryStore behind every bridge: the prefixes alone keep the cases apart.
  const shared = new session.MemoryStore();
  for (const c of storageConformance({
    name: 'express-session',
    create: (prefix) => expressSessionStore(shared, { prefix }),
    async createBroken() {
      return expressSessionStore(new RedisStore({ client: await unreachableClient() }), { timeout: 1000 });
    },
  })) {
    it(c.name, c.run);
  }
});

const redisSkip = await redisSkipReason();

describe('expressSessionStore over connect-redis 9 on Redis: conformance', { skip: redisSkip }, () => {
  let client: ReturnType<typeof createClient>;
  before(async () => {
    client = createClient({ url: redisUrl(), disableOfflineQueue: true });
    client.on('error', noop);
    await client.connect();
  });
  after(async () => {
    for await (const keys of client.scanIterator({ MATCH: `hsbridge-${run}:*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
    await client.close();
  });
  for (const c of storageConformance({
    name: 'connect-redis',
    create: (prefix) => expressSessionStore(new RedisStore({ client, prefix: `hsbridge-${run}:` }), { name: 'connect-redis', prefix }),
  })) {
    it(c.name, c.run);
  }

  it('backs a session manager and the Express adapter; Redis gets the record with its TTL', async () => {
    const storage = expressSessionStore(new RedisStore({ client, prefix: `hsbridge-${run}:` }), { prefix: 'app' });
    const sessions = createSessionManager({ secret: LONG_SECRET, cookie: httpCookie, storage });
    const app = express();
    app.use(expressSession(sessions));
    app.get('/', (req, res) => {
      const visits = (req.session.get('visits') ?? 0) + 1;
      req.session.set('visits', visits);
      res.send(String(visits));
    });
    const served = await serve(app);
    try {
      const c = new Client(served.base);
      assert.equal((await c.get('/')).body, '1');
      assert.equal((await c.get('/')).body, '2');
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `hsbridge-${run}:app:session:*`, COUNT: 500 })) keys.push(...batch);
      assert.equal(keys.length, 2, 'the current record and the replaced one, kept staleTtl');
      const ttls = await Promise.all(keys.map((k) => command(redisTarget(), ['TTL', k])));
      // The session's record TTL (its rolling timeout, 3600 s by default) reached Redis through cookie.expires.
      assert.ok(ttls.some((t) => typeof t === 'number' && t > 3590 && t <= 3600), `the record's TTL, got ${ttls.join(', ')}`);
      assert.ok(ttls.some((t) => typeof t === 'number' && t > 0 && t <= 10), 'the replaced record shortened to staleTtl');
      const stored = JSON.parse(String(await client.get(keys[0]!))) as BridgedSession & { cookie: { expires: string } };
      assert.equal(typeof stored.record, 'string');
      assert.ok(!Number.isNaN(Date.parse(stored.cookie.expires)), 'cookie.expires as the stores write it');
    } finally {
      await served.close();
    }
  });
});

describe('expressSessionStore: the callback contract', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  /** A store keeping sessions in a Map, calling back the way `mode` says. */
  function mapStore(mode: 'twice' | 'throws' | 'enoent' | 'json' | 'promise-rejects'): ExpressSessionStoreLike {
    const map = new Map<string, unknown>();
    return {
      get(sid, cb) {
        if (mode === 'throws') throw new Error('store bug');
        if (mode === 'enoent') return cb(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
        if (mode === 'promise-rejects') return Promise.reject(new Error('rejected'));
        const value = map.get(sid);
        cb(null, mode === 'json' && value !== undefined ? JSON.stringify(value) : value);
        if (mode === 'twice') cb(new Error('second callback'));
        return undefined;
      },
      set(sid, value, cb) {
        map.set(sid, JSON.parse(JSON.stringify(value)));
        cb?.();
        if (mode === 'twice') cb?.(new Error('second callback'));
      },
      destroy(sid, cb) {
        map.delete(sid);
        cb?.();
      },
    };
  }

  it('a second callback is ignored; JSON text from get is read', async () => {
    for (const mode of ['twice', 'json'] as const) {
      const s = expressSessionStore(mapStore(mode));
      await s.set({ namespace: 'session', key: KEY, value: '["x"]', ttl: 60, now: now() });
      assert.equal(await s.get('session', KEY, now()), '["x"]', mode);
    }
  });

  it('ENOENT is "not found"; a throw or a rejected promise is a STORAGE_ERROR naming the store', async () => {
    assert.equal(await expressSessionStore(mapStore('enoent')).get('session', KEY, now()), null);
    for (const mode of ['throws', 'promise-rejects'] as const) {
      await assert.rejects(expressSessionStore(mapStore(mode), { name: 'mystore' }).get('session', KEY, now()), (err) => {
        assert.ok(isSessionError(err, 'STORAGE_ERROR'));
        assert.equal(err.storage, 'mystore');
        return true;
      });
    }
  });

  it('a store that never calls back fails at the timeout', async () => {
    const silent: ExpressSessionStoreLike = { get() {}, set() {}, destroy() {} };
    const started = Date.now();
    await assert.rejects(expressSessionStore(silent, { timeout: 100 }).get('session', KEY, now()), (err) => isSessionError(err, 'STORAGE_ERROR'));
    assert.ok(Date.now() - started < 2000);
  });

  it('refuses a store without the methods, and bad options', () => {
    assert.throws(() => expressSessionStore({} as never), /store\.get/);
    assert.throws(() => expressSessionStore(mapStore('json'), { prefix: 'a:b' }), /prefix/);
    assert.throws(() => expressSessionStore(mapStore('json'), { timeout: -1 }), RangeError);
  });
});
