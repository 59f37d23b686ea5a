/**
 * Concurrency-safe saves (issue 10), over real HTTP (node:http on 127.0.0.1:0) against each store with
 * compare-and-set: the memory store, the real Redis, PostgreSQL, MariaDB and memcached (skipped without them unless
 * CI=true). Parallel requests of one session really overlap: each request opens its session, waits until
 * all of them have opened, then saves.
 *
 * - `'merge'`: N parallel increments end at N, no request fails, and the old cookie leads to the newest
 *   session; attributes changed by different requests are all kept; one both changed without a merge
 *   function is a 409.
 * - `'reject'`: the losers get 409 and nothing is written; retrying (even with the old cookie) ends at N.
 * - `'last-write-wins'` loses updates (the reason the strict policies exist).
 * - a destroy wins over a racing save, whichever reaches the store first, under every policy.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { postgresStorage, createPostgresSchema } from '../../src/storage/postgres.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import type { Storage } from '../../src/storage/types.ts';
import { CookieJar, withServer } from '../helpers/http.ts';
import { postgresSkipReason, randomTable, testPool } from '../helpers/postgres.ts';
import { mysqlPool, mysqlSkipReason } from '../helpers/mysql.ts';
import { createMysqlSchema, mysqlStorage } from '../../src/storage/mysql.ts';
import { memcachedStorage } from '../../src/storage/memcached.ts';
import { memcachedSkipReason, memjsClient } from '../helpers/memcached.ts';
import { redisSkipReason, redisUrl } from '../helpers/redis.ts';

const SECRET = 'concurrency-tests-secret-0123456789abcdef';
const N = 12;
const noop = (): void => {};

interface StoreKind {
  readonly name: string;
  readonly skip: string | undefined;
  open(): Promise<{ store: Storage; close(): Promise<void> }>;
}

const kinds: StoreKind[] = [
  { name: 'memory', skip: undefined, open: async () => ({ store: memoryStorage(), close: async () => {} }) },
  {
    name: 'redis',
    skip: await redisSkipReason(),
    async open() {
      const client = createClient({ url: redisUrl(), disableOfflineQueue: true });
      client.on('error', noop);
      await client.connect();
      return { store: redisStorage({ client, prefix: `cas${randomBytes(6).toString('hex')}` }), close: async () => void (await client.close()) };
    },
  },
  {
    name: 'postgres',
    skip: await postgresSkipReason(),
    async open() {
      const pool = testPool(undefined, N + 2);
      const table = randomTable('cas');
      await createPostgresSchema(pool, { table });
      return {
        store: postgresStorage({ client: pool, table }),
        async close() {
          await pool.query(`DROP TABLE IF EXISTS "${table}_meta", "${table}"`);
          await pool.end();
        },
      };
    },
  },
  {
    name: 'mysql',
    skip: await mysqlSkipReason(),
    async open() {
      const pool = mysqlPool(undefined, N + 2);
      const table = randomTable('cas');
      await createMysqlSchema(pool, { table });
      return {
        store: mysqlStorage({ client: pool, table }),
        async close() {
          await pool.query(`DROP TABLE IF EXISTS \`${table}_meta\`, \`${table}\``);
          await pool.end();
        },
      };
    },
  },
  {
    name: 'memcached',
    skip: await memcachedSkipReason(),
    async open() {
      const client = memjsClient();
      return { store: memcachedStorage({ client, prefix: `cas${randomBytes(6).toString('hex')}` }), close: async () => client.close() };
    },
  },
];

/** A barrier: each request waits after opening its session until `n` have opened (or 2 s passed). */
class Barrier {
  #waiting: Array<() => void> = [];
  #n = 0;
  arm(n: number): void {
    this.#n = n;
    this.#waiting = [];
  }
  async wait(): Promise<void> {
    if (this.#n <= 1) return;
    const released = new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#waiting.length >= this.#n) {
      this.#n = 0;
      for (const r of this.#waiting) r();
    }
    await Promise.race([released, sleep(2000)]);
  }
}

interface App {
  readonly sessions: SessionManager;
  readonly barrier: Barrier;
}

/** The test server: /inc, /set?name=value, /read, /logout; CONFLICT is a 409 and SESSION_REVOKED a 410. */
function app(store: Storage, options: Partial<SessionOptions>): App {
  const sessions = createSessionManager({ secret: SECRET, storage: store, cookie: { name: 'sid' }, ...options } as SessionOptions);
  return { sessions, barrier: new Barrier() };
}

async function serve<T>(a: App, fn: (base: string) => Promise<T>): Promise<T> {
  return withServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      const session = await a.sessions.start(req, res);
      if (url.pathname === '/read') {
        res.end(JSON.stringify({ isNew: session.isNew, data: session.getData() }));
        return;
      }
      await a.barrier.wait();
      if (url.pathname === '/logout') await session.destroy();
      else {
        if (url.pathname === '/inc') session.set('count', ((session.get('count') as number | undefined) ?? 0) + 1);
        for (const [k, v] of url.searchParams) session.set(k, v);
        await session.save();
      }
      res.end('ok');
    } catch (err) {
      res.statusCode = isSessionError(err, 'CONFLICT') ? 409 : isSessionError(err, 'SESSION_REVOKED') ? 410 : 500;
      res.end(err instanceof Error ? err.message : String(err));
    }
  }, fn);
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly setCookies: string[];
}

async function request(base: string, path: string, cookie: string | undefined): Promise<Answer> {
  const r = await fetch(base + path, { headers: cookie === undefined ? {} : { cookie } });
  return { status: r.status, body: await r.text(), setCookies: r.headers.getSetCookie() };
}

/** A session with `count: 0`; returns its Cookie header. */
async function started(base: string): Promise<string> {
  const r = await request(base, '/set?seed=1', undefined);
  assert.equal(r.status, 200, r.body);
  return new CookieJar().update(r.setCookies).header()!;
}

async function read(base: string, cookie: string): Promise<{ isNew: boolean; data: Record<string, unknown>; setCookies: string[] }> {
  const r = await request(base, '/read', cookie);
  assert.equal(r.status, 200, r.body);
  return { ...(JSON.parse(r.body) as { isNew: boolean; data: Record<string, unknown> }), setCookies: r.setCookies };
}

/** `n` requests of `path` at once with the same cookie; each waits for all to have opened before saving. */
async function parallel(a: App, base: string, path: string, cookie: string, n: number): Promise<Answer[]> {
  a.barrier.arm(n);
  return Promise.all(Array.from({ length: n }, () => request(base, path, cookie)));
}

const count = (m: number | undefined, t: number | undefined, b: number | undefined): number => (t ?? 0) + (m ?? 0) - (b ?? 0);

for (const kind of kinds) {
  describe(`concurrent saves: ${kind.name} storage`, { skip: kind.skip }, () => {
    const opened: Array<{ close(): Promise<void> }> = [];
    const store = async (): Promise<Storage> => {
      const o = await kind.open();
      opened.push(o);
      return o.store;
    };
    after(async () => {
      for (const o of opened) await o.close();
    });

    it("'merge': N parallel increments from one cookie end at N, none fails, and the old cookie leads to the newest session", async () => {
      const a = app(await store(), { concurrency: 'merge', merge: { count } });
      await serve(a, async (base) => {
        const cookie = await started(base);
        const answers = await parallel(a, base, '/inc', cookie, N);
        assert.deepEqual(answers.map((r) => r.status), Array(N).fill(200), answers.map((r) => r.body).join('\n'));
        // The client's (old) cookie was replaced: reading with it follows the successors and re-sends.
        const seen = await read(base, cookie);
        assert.equal(seen.isNew, false);
        assert.equal(seen.data.count, N);
        assert.ok(seen.setCookies.some((l) => l.startsWith('__Host-sid=')), `the newest cookie is sent: ${JSON.stringify(seen.setCookies)}`);
        // Any of the responses' cookies reads the same.
        for (const r of answers.slice(0, 3)) assert.equal((await read(base, new CookieJar().update(r.setCookies).header()!)).data.count, N);
      });
    });

    it("'merge': attributes changed by different requests are all kept; one both changed without a merge function is a 409", async () => {
      const a = app(await store(), { concurrency: 'merge', merge: { count } });
      await serve(a, async (base) => {
        const cookie = await started(base);
        a.barrier.arm(3);
        const answers = await Promise.all([request(base, '/set?a=1', cookie), request(base, '/set?b=2', cookie), request(base, '/set?c=3', cookie)]);
        assert.deepEqual(answers.map((r) => r.status), [200, 200, 200]);
        assert.deepEqual((await read(base, cookie)).data, { seed: '1', a: '1', b: '2', c: '3' });

        // The old cookie was replaced: a read with it is sent the newest, which the clash below uses (so
        // that neither request follows a successor and any Set-Cookie would come from a save).
        const newest = new CookieJar().update((await read(base, cookie)).setCookies).header()!;
        a.barrier.arm(2);
        const clash = await Promise.all([request(base, '/set?theme=dark', newest), request(base, '/set?theme=light', newest)]);
        assert.deepEqual(clash.map((r) => r.status).sort(), [200, 409], clash.map((r) => r.body).join('\n'));
        const lost = clash.find((r) => r.status === 409)!;
        assert.match(lost.body, /concurrent request/);
        assert.equal(lost.setCookies.length, 0, 'a conflict writes no cookie');
        const won = new URL(`http://x${['/set?theme=dark', '/set?theme=light'][clash.indexOf(clash.find((r) => r.status === 200)!)]}`).searchParams.get('theme');
        const winner = (await read(base, newest)).data.theme;
        assert.equal(winner, won);
      });
    });

    it("'reject': the losers get 409 and write nothing; retrying, even with the old cookie, ends at N", async () => {
      const a = app(await store(), { concurrency: 'reject' });
      await serve(a, async (base) => {
        const cookie = await started(base);
        const first = await parallel(a, base, '/inc', cookie, N);
        const statuses = first.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one wins: ${statuses.join(',')}`);
        assert.equal(statuses.filter((s) => s === 409).length, N - 1);
        for (const r of first) if (r.status === 409) assert.equal(r.setCookies.length, 0);
        assert.equal((await read(base, cookie)).data.count, 1);
        // Each loser retries with the cookie it had until it wins.
        a.barrier.arm(0);
        let retries = 0;
        await Promise.all(
          first.filter((r) => r.status === 409).map(async () => {
            for (;;) {
              const r = await request(base, '/inc', cookie);
              if (r.status === 200) return;
              assert.equal(r.status, 409, r.body);
              retries++;
            }
          }),
        );
        assert.equal((await read(base, cookie)).data.count, N, `after ${retries} retries`);
      });
    });

    it("'last-write-wins' (the default) loses concurrent updates", async () => {
      const a = app(await store(), {});
      await serve(a, async (base) => {
        const cookie = await started(base);
        const answers = await parallel(a, base, '/inc', cookie, N);
        assert.deepEqual(answers.map((r) => r.status), Array(N).fill(200));
        const counts = await Promise.all(answers.map(async (r) => (await read(base, new CookieJar().update(r.setCookies).header()!)).data.count));
        assert.ok(counts.every((c) => c === 1), `every request saved its own 1: ${counts.join(',')}`);
      });
    });

    for (const concurrency of ['last-write-wins', 'reject', 'merge'] as const) {
      it(`a destroy wins over a racing save (${concurrency}): whichever reaches the store first, no live session is left`, async () => {
        const a = app(await store(), { concurrency, ...(concurrency === 'merge' ? { merge: { count } } : {}) });
        await serve(a, async (base) => {
          // The save reaches the store first, then the logout (with the same, now replaced, cookie).
          let cookie = await started(base);
          a.barrier.arm(0);
          const saved = await request(base, '/inc', cookie);
          assert.equal(saved.status, 200);
          const newer = new CookieJar().update(saved.setCookies).header()!;
          const out = await request(base, '/logout', cookie);
          assert.equal(out.status, 200, out.body);
          assert.equal((await read(base, newer)).isNew, true, 'the record saved from the destroyed one is gone too');
          assert.equal((await read(base, cookie)).isNew, true);

          // Both in flight at once: the logout and N saves open the session, then all write.
          cookie = await started(base);
          a.barrier.arm(N + 1);
          const answers = await Promise.all([request(base, '/logout', cookie), ...Array.from({ length: N }, () => request(base, '/inc', cookie))]);
          assert.equal(answers[0]!.status, 200, answers[0]!.body);
          for (const r of [cookie, ...answers.slice(1).filter((r) => r.setCookies.length > 0).map((r) => new CookieJar().update(r.setCookies).header()!)]) {
            assert.equal((await read(base, r)).isNew, true, 'no cookie of the destroyed session opens');
          }
        });
      });
    }

    it("'reject' and 'merge' need a store with compare-and-set, and merge functions need 'merge'", async () => {
      const plain: Storage = { name: 'plain', get: async () => null, set: async () => undefined, delete: async () => undefined };
      const cas = await store();
      assert.throws(() => createSessionManager({ secret: SECRET, storage: plain, concurrency: 'reject' }), /"concurrency" 'reject' needs a storage with compare-and-set/);
      assert.throws(() => createSessionManager({ secret: SECRET, concurrency: 'merge' }), /"concurrency" 'merge' needs server-side storage/);
      assert.throws(() => createSessionManager({ secret: SECRET, storage: cas, concurrency: 'fifo' as never }), /"concurrency" expected one of/);
      assert.throws(() => createSessionManager({ secret: SECRET, storage: cas, merge: { count } }), /"merge" is only used with concurrency: 'merge'/);
      assert.throws(() => createSessionManager({ secret: SECRET, storage: cas, concurrency: 'merge', merge: { count: 1 as never } }), /"merge.count" expected a function/);
    });
  });
}
