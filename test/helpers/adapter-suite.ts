/**
 * The one behaviour suite every framework adapter runs: a real server of the framework on 127.0.0.1 and a
 * free port, driven over real HTTP by a browser-like client with a cookie jar. Each adapter's test file
 * builds an app with the routes of {@link ADAPTER_ROUTES} in its framework's own idiom and hands the
 * suite a factory; what is particular to a framework (hijack, immutable responses, ...) stays in its file.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import { CookieJar, invalidRecorder, LONG_SECRET } from './http.ts';
import { runExample } from './example.ts';
import { redisServerSkipReason, startRedisServer } from './redis.ts';

/**
 * The routes each adapter's app serves, all replying text:
 * - `GET /count`: increments attribute `n` (number) and replies it; never calls save.
 * - `GET /peek`: replies `JSON.stringify(session.getData())` and changes nothing.
 * - `POST /login`: `setSubject('alice')`, sets `user: 'alice'`, `await session.regenerate()`; replies the id.
 * - `POST /logout`: `await session.logout()`; replies `bye`.
 * - `GET /stream`: sets `streamed: true`, replies the chunks `a`, `b`, `c` as a stream.
 * - `GET /redirect`: sets `redirected: true`, redirects (302) to `/peek`.
 * - `GET /regenerate-then-fail`: `await session.regenerate()`, then throws (the framework's error path).
 */
export const ADAPTER_ROUTES = ['/count', '/peek', '/login', '/logout', '/stream', '/redirect', '/regenerate-then-fail'] as const;

/** A started app. */
export interface RunningApp {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Errors the framework's error path handled (recorded by its error hook, the response left to it). */
  readonly errors: unknown[];
  close(): Promise<void>;
}

/** Starts the adapter's app over a manager. */
export type AppFactory = (sessions: SessionManager) => Promise<RunningApp>;

/** A response as the client saw it. */
export interface Seen {
  status: number;
  body: string;
  setCookies: string[];
  headers: Headers;
}

/** A browser: one cookie jar, redirects not followed (to see what each response sets). */
export class Browser {
  readonly jar = new CookieJar();
  readonly #base: string;

  constructor(base: string) {
    this.#base = base;
  }

  async request(path: string, init: RequestInit = {}): Promise<Seen> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header();
    if (cookie !== undefined && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(this.#base + path, { ...init, headers, redirect: 'manual' });
    const body = await response.text();
    const setCookies = response.headers.getSetCookie();
    this.jar.update(setCookies);
    return { status: response.status, body, setCookies, headers: response.headers };
  }

  get(path: string): Promise<Seen> {
    return this.request(path);
  }

  post(path: string): Promise<Seen> {
    return this.request(path, { method: 'POST' });
  }
}

/** The name of the session cookie the suite's managers write. */
export const SUITE_COOKIE = '__Host-session';

/** A manager with the suite's secret. */
export function suiteManager(options: Omit<SessionOptions, 'secret'> = {}): SessionManager {
  return createSessionManager({ secret: LONG_SECRET, ...options });
}

const sessionLine = (lines: readonly string[]): string | undefined => lines.find((l) => l.startsWith(`${SUITE_COOKIE}=`));

/**
 * Runs the shared behaviour tests for one adapter.
 * @param name - the framework, for the test names
 * @param start - starts the app over a manager
 */
export function adapterSuite(name: string, start: AppFactory): void {
  describe(`${name} adapter: shared behaviour over real HTTP`, () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    const invalid = invalidRecorder();
    let app: RunningApp;
    before(async () => {
      process.on('unhandledRejection', onRejection);
      app = await start(suiteManager({ onInvalid: invalid.onInvalid }));
    });
    after(async () => {
      await app?.close();
      process.off('unhandledRejection', onRejection);
      assert.deepEqual(rejections, [], 'no unhandled rejection');
    });

    it('login → regenerate → counter across requests → logout', async () => {
      const b = new Browser(app.base);
      const first = await b.get('/count');
      assert.equal(first.body, '1');
      const anonymous = b.jar.get(SUITE_COOKIE);
      assert.ok(anonymous, 'a changed session is saved without a call');
      const login = await b.post('/login');
      assert.equal(login.status, 200);
      assert.notEqual(b.jar.get(SUITE_COOKIE), anonymous, 'regenerate sent a new cookie');
      assert.equal(login.setCookies.filter((l) => l.startsWith(`${SUITE_COOKIE}=`)).length, 1, 'one Set-Cookie per name');
      assert.equal((await b.get('/count')).body, '2');
      assert.equal((await b.get('/count')).body, '3');
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { n: 3, user: 'alice' });
      const stale = new Browser(app.base);
      stale.jar.update([`${SUITE_COOKIE}=${anonymous}`]);
      assert.deepEqual(JSON.parse((await stale.get('/peek')).body).user, undefined, 'the pre-login cookie has no user');
      const logout = await b.post('/logout');
      assert.equal(logout.body, 'bye');
      assert.match(sessionLine(logout.setCookies) ?? '', /Max-Age=0/i, 'logout expires the cookie');
      assert.equal(b.jar.get(SUITE_COOKIE), undefined);
      assert.equal((await b.get('/count')).body, '1', 'a new session after logout');
    });

    it('an unchanged session sends no Set-Cookie', async () => {
      const b = new Browser(app.base);
      await b.get('/count');
      const peek = await b.get('/peek');
      assert.deepEqual(JSON.parse(peek.body), { n: 1 });
      assert.deepEqual(peek.setCookies, []);
      const fresh = await new Browser(app.base).get('/peek');
      assert.deepEqual(fresh.setCookies, [], 'nor does a new session nobody wrote to');
    });

    it('a bad cookie yields a new session and onInvalid', async () => {
      invalid.events.length = 0;
      const b = new Browser(app.base);
      b.jar.update([`${SUITE_COOKIE}=not-a-session-cookie`]);
      const seen = await b.get('/count');
      assert.equal(seen.status, 200);
      assert.equal(seen.body, '1');
      assert.deepEqual(invalid.events.map((e) => e.reason), ['malformed']);
      assert.ok(sessionLine(seen.setCookies), 'the new session is saved');
    });

    it('streaming responses and redirects keep the cookie', async () => {
      const b = new Browser(app.base);
      const stream = await b.get('/stream');
      assert.equal(stream.body, 'abc');
      assert.ok(sessionLine(stream.setCookies), 'the streamed response carries Set-Cookie');
      const redirect = await b.get('/redirect');
      assert.equal(redirect.status, 302);
      assert.ok(sessionLine(redirect.setCookies), 'the redirect carries Set-Cookie');
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { streamed: true, redirected: true });
    });

    it('a session saved before an error keeps its Set-Cookie on the error response', async () => {
      const b = new Browser(app.base);
      await b.get('/count');
      const before = b.jar.get(SUITE_COOKIE);
      const failed = await b.get('/regenerate-then-fail');
      assert.equal(failed.status, 500);
      assert.ok(sessionLine(failed.setCookies), 'the regenerated cookie is on the 500');
      assert.notEqual(b.jar.get(SUITE_COOKIE), before);
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { n: 1 });
    });
  });

  const skip = redisServerSkipReason();
  describe(`${name} adapter: a store outage goes to the framework's error path`, { skip: skip ?? false }, () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    let redis: Awaited<ReturnType<typeof startRedisServer>>;
    let client: ReturnType<typeof createClient>;
    let app: RunningApp;
    before(async () => {
      process.on('unhandledRejection', onRejection);
      redis = await startRedisServer();
      client = createClient({ url: redis.url, disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: () => 200 } });
      client.on('error', () => {});
      await client.connect();
      const prefix = `adapter${Math.random().toString(36).slice(2, 8)}`;
      app = await start(suiteManager({ storage: redisStorage({ client, prefix, timeout: 1000 }) }));
    });
    after(async () => {
      await app?.close();
      client?.destroy();
      await redis?.stop();
      process.off('unhandledRejection', onRejection);
      assert.deepEqual(rejections, [], 'no unhandled rejection');
    });

    it('Redis down: 500 from the framework, the typed SessionError in its error path, no crash', async () => {
      const b = new Browser(app.base);
      assert.equal((await b.get('/count')).body, '1');
      assert.equal((await b.get('/count')).body, '2', 'the store works while up');
      await redis.kill();
      const opening = await b.get('/count'); // the record is read when the request arrives
      assert.equal(opening.status, 500);
      assert.deepEqual(opening.setCookies.filter((l) => l.startsWith(`${SUITE_COOKIE}=`)), [], 'the cookie is kept');
      const saving = await new Browser(app.base).get('/count'); // no cookie: nothing to read, the save fails
      assert.equal(saving.status, 500);
      assert.equal(sessionLine(saving.setCookies), undefined, 'nothing was saved, no cookie sent');
      assert.ok(app.errors.length >= 2, `the error path saw both failures (${app.errors.length})`);
      for (const error of app.errors) assert.ok(isSessionError(error, 'STORAGE_ERROR'), String(error));
      assert.equal((await new Browser(app.base).get('/peek')).status, 200, 'the server still answers');
    });
  });
}

/**
 * Two apps (of two adapters) over one manager: a cookie either one issues opens in the other.
 * @param starts - the factories of the two apps
 */
export function sharedManagerSuite(names: readonly [string, string], starts: readonly [AppFactory, AppFactory]): void {
  it(`${names[0]} and ${names[1]} sharing one manager read each other's cookies`, async () => {
    const sessions = suiteManager();
    const [a, b] = await Promise.all([starts[0](sessions), starts[1](sessions)]);
    try {
      const left = new Browser(a.base);
      assert.equal((await left.get('/count')).body, '1');
      const right = new Browser(b.base);
      right.jar.update([`${SUITE_COOKIE}=${left.jar.get(SUITE_COOKIE)}`]);
      assert.equal((await right.get('/count')).body, '2');
      left.jar.update([`${SUITE_COOKIE}=${right.jar.get(SUITE_COOKIE)}`]);
      assert.equal((await left.get('/count')).body, '3');
      right.jar.update([`${SUITE_COOKIE}=${left.jar.get(SUITE_COOKIE)}`]);
      await right.post('/login');
      left.jar.update([`${SUITE_COOKIE}=${right.jar.get(SUITE_COOKIE)}`]);
      assert.deepEqual(JSON.parse((await left.get('/peek')).body), { n: 3, user: 'alice' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
}

/**
 * Runs an adapter's example (examples/<framework>.ts: `GET /` counts visits, `POST /login?user=`,
 * `POST /logout`) and drives it: counter, login, counter as the user, logout.
 * @param file - the example, relative to the repository root
 */
export function exampleSuite(file: string): void {
  it(`${file} runs: counter, login, logout`, async () => {
    await runExample(file, async (base) => {
      const b = new Browser(base);
      assert.equal((await b.get('/')).body, 'visit 1\n');
      assert.equal((await b.get('/')).body, 'visit 2\n');
      assert.equal((await b.post('/login?user=bob')).body, 'hello bob\n');
      assert.equal((await b.get('/')).body, 'visit 3 as bob\n');
      assert.equal((await b.post('/logout')).body, 'bye\n');
      assert.equal((await b.get('/')).body, 'visit 1\n');
    });
  });
}

/**
 * A listening `node:http` server (of any framework) as a {@link RunningApp}.
 * @param server - listening on 127.0.0.1
 * @param errors - what the framework's error path recorded
 */
export function runningServer(server: Server, errors: unknown[]): RunningApp {
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
