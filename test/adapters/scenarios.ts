/**
 * The scenarios every Node framework adapter runs, over real HTTP with a cookie jar. Each adapter's test
 * file builds its framework's app with the routes below (in that framework's idiom) and registers these
 * cases; the cases only talk HTTP, so they are the same for Express 5, Express 4 and Koa.
 *
 * Routes an app provides (the counter is the `visits` attribute, the user the `user` attribute):
 * - `GET /count`: visits + 1, no save call; replies the new count
 * - `GET /peek`: replies the count (0 when none); changes nothing
 * - `POST /login`: subject and `user` = alice, then `regenerate()`; replies `ok`
 * - `GET /whoami`: replies `user`, or `anonymous`
 * - `POST /logout`: `logout()`; replies `bye`
 * - `GET /stream`: visits + 1, then a body of `a`, `b`, `c` written in three chunks, no commit call
 * - `GET /stream-committed`: visits + 1, `await commit()`, then the same streamed body
 * - `GET /redirect`: visits + 1, then a 302 to `/peek`
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import type { InvalidCookie } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import { Client, noStrayErrors, serve, type Served } from '../helpers/adapters.ts';
import { LONG_SECRET } from '../helpers/http.ts';
import { redisServerSkipReason, startRedisServer, type RedisServer } from '../helpers/redis.ts';

/** The data the scenario routes keep. */
export type ScenarioData = { visits: number; user: string };

/** How an adapter's test file plugs its framework into the scenarios. */
export interface AdapterUnderTest {
  /** e.g. `'Express 5'`. */
  readonly name: string;
  /** Builds the framework app with the scenario routes over `sessions`; returns its request listener. */
  app(sessions: SessionManager): http.RequestListener;
  /**
   * Whether `GET /stream` saves with server-side storage without a commit call (Koa: the body is sent
   * after the middleware returns; Express: only cookie storage can commit as headers flush).
   */
  readonly streamsServerSide: boolean;
}

/** A plain-HTTP cookie (no `__Host-` prefix, no Secure), as in development. */
export const httpCookie = { secure: false } as const;

const sessionLine = (lines: readonly string[]): string | undefined => lines.find((l) => l.startsWith('session='));

/** Registers the scenarios for one adapter, with cookie storage and with a memory store. */
export function adapterScenarios(adapter: AdapterUnderTest): void {
  for (const storage of ['cookie', 'memory'] as const) {
    describe(`${adapter.name}, ${storage} storage`, () => {
      const invalid: InvalidCookie[] = [];
      const warnings: string[] = [];
      let served: Served;
      before(async () => {
        const logger = { warn: (message: string) => void warnings.push(message) };
        const options: SessionOptions = { secret: LONG_SECRET, cookie: httpCookie, onInvalid: (e) => void invalid.push(e), logger };
        if (storage === 'memory') options.storage = memoryStorage();
        served = await serve(adapter.app(createSessionManager(options)));
      });
      after(() => served.close());

      it('login -> regenerate -> counter across requests -> logout', async () => {
        const c = new Client(served.base);
        assert.equal((await c.get('/count')).body, '1');
        assert.equal((await c.get('/count')).body, '2');
        const before = c.jar.get('session');
        const login = await c.post('/login');
        assert.equal(login.body, 'ok');
        const after = c.jar.get('session');
        assert.ok(after !== undefined && after !== before, 'login gave the session a new id');
        assert.equal((await c.get('/whoami')).body, 'alice');
        assert.equal((await c.get('/count')).body, '3', 'the data survived regenerate');
        if (storage === 'memory') {
          const stale = await c.request('/whoami', { cookie: `session=${before}` });
          assert.equal(stale.body, 'anonymous', 'the pre-login id is dead at once with server-side storage');
        }
        const loggedIn = c.jar.get('session');
        const logout = await c.post('/logout');
        assert.equal(logout.body, 'bye');
        assert.match(sessionLine(logout.setCookies) ?? '', /Max-Age=0/, 'logout expires the cookie');
        assert.equal(c.jar.get('session'), undefined);
        assert.equal((await c.get('/whoami')).body, 'anonymous');
        assert.equal((await c.get('/peek')).body, '0');
        if (storage === 'memory') assert.equal((await c.request('/whoami', { cookie: `session=${loggedIn}` })).body, 'anonymous');
      });

      it('a changed session is saved with no call, before the response goes out', async () => {
        const c = new Client(served.base);
        const first = await c.get('/count');
        assert.ok(sessionLine(first.setCookies), 'the response carries the session cookie');
        assert.equal(first.headers.get('cache-control'), 'no-store');
        assert.equal((await c.get('/peek')).body, '1', 'the next request sees the change');
      });

      it('an unchanged session sends no Set-Cookie', async () => {
        const c = new Client(served.base);
        assert.deepEqual((await c.get('/peek')).setCookies, [], 'a new visitor who changes nothing gets no cookie');
        await c.get('/count');
        const peek = await c.get('/peek');
        assert.equal(peek.body, '1');
        assert.deepEqual(peek.setCookies, [], 'within the touch threshold nothing is re-sent');
      });

      it('a bad cookie yields a new session and onInvalid', async () => {
        const c = new Client(served.base);
        invalid.length = 0;
        const res = await c.request('/count', { cookie: 'session=not-a-session-cookie' });
        assert.equal(res.status, 200);
        assert.equal(res.body, '1', 'a new session');
        assert.ok(sessionLine(res.setCookies), 'with a fresh cookie');
        assert.deepEqual(invalid.map((e) => [e.cookie, e.reason]), [['session', 'malformed']]);
      });

      it('a redirect keeps the cookie', async () => {
        const c = new Client(served.base);
        const res = await c.get('/redirect');
        assert.equal(res.status, 302);
        assert.match(res.headers.get('location') ?? '', /\/peek$/);
        assert.ok(sessionLine(res.setCookies), 'the redirect carries the session cookie');
        assert.equal((await c.get('/peek')).body, '1');
      });

      it('a streamed response committed first keeps the cookie', async () => {
        const c = new Client(served.base);
        const res = await c.get('/stream-committed');
        assert.equal(res.body, 'abc');
        assert.ok(sessionLine(res.setCookies));
        assert.equal((await c.get('/peek')).body, '1');
      });

      it(`a streamed response without a commit call ${storage === 'cookie' || adapter.streamsServerSide ? 'keeps the cookie' : 'is sent, unsaved'}`, async () => {
        const c = new Client(served.base);
        const res = await c.get('/stream');
        assert.equal(res.status, 200);
        assert.equal(res.body, 'abc');
        if (storage === 'cookie' || adapter.streamsServerSide) {
          assert.ok(sessionLine(res.setCookies), 'the streamed response carries the cookie');
          assert.equal((await c.get('/peek')).body, '1');
        } else {
          // Documented: headers flushed before the end cannot wait for a store write; the logger says so.
          assert.equal(sessionLine(res.setCookies), undefined);
          assert.match(warnings.join('\n'), /headers were sent before the changed session could be saved/);
        }
      });
    });
  }

  describe(`${adapter.name}, store outage`, { skip: redisServerSkipReason() }, () => {
    let redis: RedisServer;
    let served: Served;
    let client: ReturnType<typeof createClient>;
    before(async () => {
      redis = await startRedisServer();
      client = createClient({ url: redis.url, disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: () => 200 } });
      client.on('error', () => {});
      await client.connect();
      const storage = redisStorage({ client, prefix: `adapter-${Math.random().toString(36).slice(2)}` });
      served = await serve(adapter.app(createSessionManager({ secret: LONG_SECRET, cookie: httpCookie, storage, logger: { warn() {} } })));
    });
    after(async () => {
      await served?.close();
      await client?.close().catch(() => {});
      await redis?.stop();
    });

    it("gives the framework's error response (500), no unhandled rejection, and the server keeps serving", async () => {
      const c = new Client(served.base);
      assert.equal((await c.get('/count')).body, '1', 'with Redis up');
      await redis.kill();
      const { result, stray } = await noStrayErrors(async () => ({
        // opening the cookie's session needs the store
        open: await c.get('/peek'),
        // a new visitor's change needs the store when the response ends
        save: await new Client(served.base).get('/count'),
        // a new visitor who changes nothing needs no store at all
        none: await new Client(served.base).get('/peek'),
      }));
      assert.equal(result.open.status, 500);
      assert.equal(result.save.status, 500);
      assert.equal(sessionLine(result.save.setCookies), undefined, 'a failed save sends no session cookie');
      assert.equal(result.none.status, 200);
      assert.deepEqual(stray, []);
    });
  });
}
