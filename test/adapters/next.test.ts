/**
 * httpsession/next against the real Next.js: the example app in examples/next-app is built with `next build` and
 * served by `next start` on 127.0.0.1, then driven over HTTP with a cookie jar: Route Handlers, a Server
 * Action posted as a plain form (Next's no-JavaScript path), a Server Component reading the session, and
 * middleware. The build takes one to three minutes on two cores.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSessionManager } from '../../src/index.ts';
import { CookieJar } from '../helpers/http.ts';
import { exited, freePort, redisServerSkipReason, skipOrFail, startRedisServer, waitFor, type RedisServer } from '../helpers/redis.ts';

const dir = fileURLToPath(new URL('../../examples/next-app/', import.meta.url));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const SECRET = 'next-fixture-secret-that-is-32-chars+';
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TEST_SESSION_SECRET: SECRET };

let base = '';
let server: ChildProcess | undefined;
let redis: RedisServer | undefined;
let serverLog = '';

before(async () => {
  rmSync(new URL('../../examples/next-app/.next', import.meta.url), { recursive: true, force: true });
  const build = spawnSync(process.execPath, [nextBin, 'build'], { cwd: dir, env, encoding: 'utf8', timeout: 600_000 });
  assert.equal(build.status, 0, `next build failed:\n${build.stdout}\n${build.stderr}`);
  const redisSkip = redisServerSkipReason();
  if (redisSkip === undefined) redis = await startRedisServer();
  else skipOrFail(redisSkip);
  const port = await freePort();
  server = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: dir,
    env: { ...env, OUTAGE_REDIS_PORT: String(redis?.port ?? 1) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer): void => void (serverLog = (serverLog + chunk.toString()).slice(-8000));
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  base = `http://127.0.0.1:${port}`;
  await waitFor('next start', async () => {
    if (server?.exitCode !== null) throw new Error(`next start exited:\n${serverLog}`);
    return fetch(`${base}/api/peek`).then(() => true, () => false);
  }, 60_000, 200);
});

after(async () => {
  if (server !== undefined) {
    server.kill('SIGTERM');
    if (!(await exited(server, 5000))) server.kill('SIGKILL');
  }
  await redis?.stop();
});

/** A browser: requests with the jar's cookies, applies every Set-Cookie it gets back. */
function browser(): { jar: CookieJar; go: (path: string, init?: RequestInit) => Promise<Response> } {
  const jar = new CookieJar();
  return {
    jar,
    async go(path, init = {}) {
      const headers = new Headers(init.headers);
      const cookie = jar.header();
      if (cookie !== undefined) headers.set('cookie', cookie);
      const response = await fetch(`${base}${path}`, { ...init, headers, redirect: 'manual' });
      jar.update(response.headers.getSetCookie());
      return response;
    },
  };
}

const json = (r: Response): Promise<Record<string, unknown>> => r.json() as Promise<Record<string, unknown>>;

describe('httpsession/next on Next.js 15 (next build + next start)', () => {
  test('login → regenerate → counter across requests → logout, saved without a call', async () => {
    const b = browser();
    const first = await b.go('/api/counter');
    assert.equal(first.status, 200);
    assert.deepEqual(await json(first), { count: 1, user: null, isNew: true });
    assert.equal(first.headers.getSetCookie().length, 1, 'a changed session is saved by the adapter');
    const before = first.headers.getSetCookie()[0]!.split(';', 1)[0];

    const login = await b.go('/api/login', { method: 'POST', body: JSON.stringify({ user: 'alice' }), headers: { 'content-type': 'application/json' } });
    assert.deepEqual(await json(login), { user: 'alice' });
    const afterLogin = login.headers.getSetCookie()[0]!.split(';', 1)[0];
    assert.notEqual(afterLogin, before, 'login issues a new cookie (new id)');

    for (const expected of [2, 3, 4]) {
      assert.deepEqual(await json(await b.go('/api/counter')), { count: expected, user: 'alice', isNew: false });
    }

    const logout = await b.go('/api/logout', { method: 'POST' });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.getSetCookie().join('\n'), /Max-Age=0/, 'logout expires the cookie');
    assert.deepEqual(await json(await b.go('/api/counter')), { count: 1, user: null, isNew: true });
  });

  test('an unchanged session sends no Set-Cookie', async () => {
    const b = browser();
    await b.go('/api/counter');
    const peek = await b.go('/api/peek');
    assert.equal((await json(peek)).count, 1);
    assert.deepEqual(peek.headers.getSetCookie(), []);
  });

  test('a bad cookie yields a new session and onInvalid', async () => {
    const b = browser();
    await b.go('/api/counter');
    const name = (await b.go('/api/counter')).headers.getSetCookie()[0]!.split('=', 1)[0]!;
    const response = await fetch(`${base}/api/peek`, { headers: { cookie: `${name}=AAAA${'x'.repeat(100)}` } });
    const body = await json(response);
    assert.equal(body.isNew, true);
    assert.equal(body.count, null);
    assert.ok((body.invalid as string[]).includes('malformed'), `onInvalid saw ${JSON.stringify(body.invalid)}`);
  });

  test('a redirect and a streamed response keep the cookie', async () => {
    const b = browser();
    const redirect = await b.go('/api/redirect', { method: 'POST' });
    assert.equal(redirect.status, 303);
    assert.equal(redirect.headers.getSetCookie().length, 1);
    const stream = await b.go('/api/stream');
    assert.equal(await stream.text(), 'one two three');
    assert.equal(stream.headers.getSetCookie().length, 1);
    assert.equal((await json(await b.go('/api/peek'))).count, 1, 'the streamed response saved the session');
  });

  test('a Server Action saves through cookies(); a Server Component reads but cannot write', async () => {
    const b = browser();
    await b.go('/api/counter');
    const page = await b.go('/action');
    const html = await page.text();
    assert.match(html, /count=1/);
    assert.match(html, /refused=HEADERS_SENT/, 'a save during render rejects with the typed error');
    assert.deepEqual(page.headers.getSetCookie(), [], 'rendering writes no cookie');
    const action = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(html)?.[1];
    assert.ok(action, 'the form carries the Server Action id');
    const form = new FormData();
    form.set(action, '');
    const posted = await b.go('/action', { method: 'POST', body: form, headers: { origin: base } });
    assert.ok(posted.status < 400, `action answered ${posted.status}`);
    assert.equal(posted.headers.getSetCookie().length, 1, 'the action set the session cookie');
    assert.equal((await json(await b.go('/api/peek'))).count, 2);
  });

  test('middleware commits onto the response it returns', async () => {
    const b = browser();
    await b.go('/api/counter');
    const redirected = await b.go('/mw/visit');
    assert.equal(redirected.status, 307);
    assert.equal(redirected.headers.getSetCookie().length, 1);
    assert.equal((await json(await b.go('/api/peek'))).count, 2);
  });

  test('a cookie from Next.js opens in another server sharing the secret, and back', async () => {
    const b = browser();
    const first = await b.go('/api/counter');
    const name = first.headers.getSetCookie()[0]!.split('=', 1)[0]!;
    const elsewhere = createSessionManager<{ count: number }>({ secret: SECRET, audience: 'shop', cookie: { secure: false } });
    const headers = new Headers();
    const session = await elsewhere.start(new Request('http://127.0.0.1/', { headers: { cookie: b.jar.header()! } }), headers);
    assert.equal(session.get('count'), 1);
    session.set('count', 41);
    await session.save();
    b.jar.update(headers.getSetCookie());
    assert.ok(b.jar.get(name));
    assert.equal((await json(await b.go('/api/counter'))).count, 42);
  });

  test('a store outage is Next.js\' own 500, and the server keeps serving', async (t) => {
    if (redis === undefined) return t.skip(skipOrFail(redisServerSkipReason() ?? 'no redis-server'));
    const b = browser();
    const ok = await b.go('/api/outage', { method: 'POST' });
    assert.equal(ok.status, 200, serverLog);
    assert.deepEqual(await json(ok), { count: 1 });
    await redis.kill();
    const failed = await b.go('/api/outage', { method: 'POST' });
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.headers.getSetCookie(), [], 'a failed save sends no cookie');
    assert.doesNotMatch(serverLog, /unhandledRejection/i);
    assert.equal((await b.go('/api/peek')).status, 200, 'the server is still up');
    assert.ok(existsSync(dir));
  });
});
