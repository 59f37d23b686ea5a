import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDemoServer, DEVELOPMENT_SECRET } from '../../examples/demo.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A minimal cookie jar: name → value, fed from Set-Cookie lines; Max-Age <= 0 deletes. */
class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const maxAge = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
      if (maxAge !== undefined && Number(maxAge.slice('max-age='.length)) <= 0) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return `http://127.0.0.1:${address.port}`;
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A browser-like client: one cookie jar, redirects not followed (to see their Set-Cookie). */
function client(base: string, jar = new CookieJar()) {
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.cookies.size > 0) headers.set('cookie', jar.header());
    const response = await fetch(base + path, { ...init, headers, redirect: 'manual' });
    jar.store(response);
    return response;
  };
  return {
    jar,
    request,
    /** GET / and return the page's table as label → value. */
    async home(): Promise<Record<string, string>> {
      const response = await request('/');
      assert.equal(response.status, 200);
      return table(await response.text());
    },
    async api(): Promise<ApiSession> {
      const response = await request('/api/session');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      return (await response.json()) as ApiSession;
    },
    post(path: string, form: Record<string, string> = {}): Promise<Response> {
      return request(path, { method: 'POST', body: new URLSearchParams(form) });
    },
  };
}

interface ApiSession {
  id: string;
  isNew: boolean;
  visits: number;
  subject: string | null;
  audience: string;
  remember: boolean;
  remaining: { timeToLive: number | null; idling: number | null; rolling: number | null; absolute: number | null };
}

/** The label → value rows of the page's `kv` tables (the session and its timeouts). */
function table(html: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const [, kv = ''] of html.matchAll(/<table[^>]* class="kv">([\s\S]*?)<\/table>/g)) {
    for (const m of kv.matchAll(/<tr[^>]*><th>([^<]*)<\/th><td[^>]*>([^<]*)<\/td>/g)) rows[m[1]!.replace(/ \(.*\)$/, '')] = m[2]!;
  }
  return rows;
}

describe('examples/demo.ts over HTTP', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    server = createDemoServer();
    base = await listen(server);
  });
  after(() => close(server));

  test('the counter increments across visits; the first visit is a new session', async () => {
    const browser = client(base);
    const first = await browser.home();
    assert.equal(first['Visits'], '1');
    assert.equal(first['New session'], 'yes');
    assert.equal(first['Subject'], 'anonymous');
    assert.equal(first['Remember me'], 'off');
    assert.match(first['Session id'] ?? '', /^[A-Za-z0-9_-]{8}…$/, 'only 8 characters of the id are shown');
    assert.ok(browser.jar.cookies.has('session'));
    const second = await browser.home();
    assert.equal(second['Visits'], '2');
    assert.equal(second['New session'], 'no');
    assert.equal((await browser.home())['Visits'], '3');
  });

  test('over plain HTTP the demo sets `session` without Secure or a prefix (cookie.secure: false)', async () => {
    const browser = client(base);
    const response = await browser.request('/');
    const [line, ...rest] = response.headers.getSetCookie();
    assert.deepEqual(rest, []);
    assert.match(line ?? '', /^session=[A-Za-z0-9_-]+; Path=\/; SameSite=Lax; HttpOnly$/);
    assert.doesNotMatch(line ?? '', /Secure|__Host-|__Secure-/);
    const login = await browser.post('/login', { subject: 'alice', remember: 'on' });
    const remember = login.headers.getSetCookie().find((l) => l.startsWith('remember='));
    assert.ok(remember !== undefined);
    assert.doesNotMatch(remember, /Secure/);
  });

  test('the page shows the remaining timeouts and never the full session id', async () => {
    const browser = client(base);
    const response = await browser.request('/');
    const html = await response.text();
    const rows = table(html);
    for (const label of ['Idle timeout in', 'Rolling timeout in', 'Absolute timeout in', 'Time to live']) assert.match(rows[label] ?? '', /^\d+ s$/, label);
    const sessionCookie = browser.jar.cookies.get('session') ?? '';
    assert.ok(sessionCookie.length > 43);
    assert.ok(!html.includes(sessionCookie.slice(0, 20)), 'the cookie value is not echoed');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test('login with remember: subject, new id, remember cookie; the pre-login cookie does not carry alice', async () => {
    const browser = client(base);
    await browser.home();
    const before = await browser.api();
    const preLogin = browser.jar.clone();

    const login = await browser.post('/login', { subject: 'alice', remember: 'on' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/?done=login');
    const remember = login.headers.getSetCookie().find((line) => line.startsWith('remember='));
    assert.ok(remember !== undefined, 'a remember cookie is issued');
    assert.match(remember, /; Max-Age=[1-9]\d*/);

    const after = await browser.api();
    assert.equal(after.subject, 'alice');
    assert.equal(after.visits, 1, 'the session keeps its data across login');
    assert.notEqual(after.id, before.id, 'login regenerates the session id');
    assert.equal((await browser.home())['Subject'], 'alice');

    const replayed = await client(base, preLogin).api();
    assert.equal(replayed.subject, null, 'the pre-login cookie is not logged in');
  });

  test('remember-me chosen at login is still on at the next visit', async () => {
    const browser = client(base);
    await browser.post('/login', { subject: 'alice', remember: 'on' });
    const page = await browser.home();
    assert.equal(page['Remember me'], 'on');
    assert.ok(browser.jar.cookies.has('remember'));
  });

  test('login without remember: no remember cookie', async () => {
    const browser = client(base);
    const login = await browser.post('/login', { subject: 'bob' });
    assert.equal(login.status, 303);
    assert.ok(!login.headers.getSetCookie().some((line) => line.startsWith('remember=') && !/Max-Age=0/.test(line)));
    const page = await browser.home();
    assert.equal(page['Subject'], 'bob');
    assert.equal(page['Remember me'], 'off');
  });

  test('logout returns to anonymous with a new id and expires the remember cookie', async () => {
    const browser = client(base);
    await browser.post('/login', { subject: 'alice', remember: 'on' });
    assert.ok(browser.jar.cookies.has('remember'));
    const loggedIn = await browser.api();
    const logout = await browser.post('/logout');
    assert.equal(logout.status, 303);
    assert.ok(!browser.jar.cookies.has('remember'), 'the remember cookie is expired');
    const after = await browser.api();
    assert.equal(after.subject, null);
    assert.equal(after.remember, false);
    assert.notEqual(after.id, loggedIn.id);
    assert.equal((await browser.home())['Subject'], 'anonymous');
  });

  test('destroy expires the cookie; the next visit starts over', async () => {
    const browser = client(base);
    await browser.home();
    await browser.home();
    const destroy = await browser.post('/destroy');
    assert.equal(destroy.status, 303);
    assert.ok(destroy.headers.getSetCookie().some((line) => line.startsWith('session=;') && /Max-Age=0/.test(line)));
    assert.ok(!browser.jar.cookies.has('session'));
    const page = await browser.home();
    assert.equal(page['Visits'], '1');
    assert.equal(page['New session'], 'yes');
  });

  test('invalid subjects get a 400 page and no session change', async () => {
    const browser = client(base);
    await browser.home();
    for (const subject of ['', 'a'.repeat(65), 'has space', 'é']) {
      const response = await browser.post('/login', { subject });
      assert.equal(response.status, 400, JSON.stringify(subject));
      assert.deepEqual(response.headers.getSetCookie(), []);
    }
    assert.equal((await browser.api()).subject, null);
  });

  test('dynamic values are escaped', async () => {
    const response = await client(base).post('/login', { subject: '<script>alert(1)</script>' });
    assert.equal(response.status, 400);
    const html = await response.text();
    assert.ok(!html.includes('<script>'), 'no unescaped <script>');
    assert.ok(html.includes('&#60;script&#62;'), 'the rejected value is shown escaped');
  });

  test('a login that is not a form is refused', async () => {
    const response = await client(base).request('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"subject":"alice"}' });
    assert.equal(response.status, 415);
  });

  test('/api/session returns JSON and does not count a visit', async () => {
    const browser = client(base);
    const fresh = await browser.api();
    assert.equal(fresh.isNew, true);
    assert.equal(fresh.visits, 0);
    assert.equal(fresh.subject, null);
    assert.equal(browser.jar.cookies.size, 0, 'reading does not create a session');
    await browser.home();
    const json = await browser.api();
    assert.match(json.id, /^[A-Za-z0-9_-]{8}…$/);
    assert.equal(json.isNew, false);
    assert.equal(json.visits, 1);
    assert.equal(json.remember, false);
    assert.deepEqual(Object.keys(json.remaining).sort(), ['absolute', 'idling', 'rolling', 'timeToLive']);
    assert.equal((await browser.api()).visits, 1);
  });

  test('unknown paths and methods are 404', async () => {
    const browser = client(base);
    assert.equal((await browser.request('/nope')).status, 404);
    assert.equal((await browser.request('/login')).status, 404, 'GET /login');
    assert.equal((await browser.post('/')).status, 404, 'POST /');
  });
});

describe('examples/demo.ts with an injected clock', () => {
  test('the remaining timeouts follow the clock', async () => {
    let now = 1_700_000_000;
    const server = createDemoServer({ now: () => now });
    try {
      const browser = client(await listen(server));
      await browser.home();
      assert.deepEqual((await browser.api()).remaining, { timeToLive: 900, idling: 900, rolling: 3600, absolute: 86400 });
      now += 30;
      assert.deepEqual((await browser.api()).remaining, { timeToLive: 870, idling: 870, rolling: 3570, absolute: 86370 });
      now += 1000; // past the 900 s idle timeout
      const expired = await browser.api();
      assert.equal(expired.isNew, true);
      assert.equal(expired.visits, 0);
    } finally {
      await close(server);
    }
  });

  test('an unexpected error is a generic 500, logged by message only', async (t) => {
    const logged = t.mock.method(console, 'error', () => {});
    const server = createDemoServer({
      now: () => {
        throw new Error('clock is broken');
      },
    });
    try {
      const response = await client(await listen(server)).request('/');
      assert.equal(response.status, 500);
      const html = await response.text();
      assert.ok(html.includes('Something went wrong'));
      assert.ok(!html.includes('clock is broken'), 'the error is not shown to the visitor');
      assert.equal(logged.mock.callCount(), 1);
      assert.match(String(logged.mock.calls[0]?.arguments[0]), /GET \/ failed: clock is broken/);
    } finally {
      await close(server);
    }
  });
});

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  assert.ok(address !== null && typeof address === 'object');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

/** Runs `npm start`'s command, waits for the printed URL, and hands it to `use`; the child is killed afterwards. */
async function withDemoProcess(env: Record<string, string>, use: (url: string, output: () => string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  if (env['SESSION_SECRET'] === undefined) delete childEnv['SESSION_SECRET'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s; output:\n${output}`)), 20_000);
      const check = (): void => {
        const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
        if (match === null) return;
        clearTimeout(timer);
        resolve(match[0]);
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}; output:\n${output}`));
      });
    });
    assert.equal(url, `http://127.0.0.1:${port}/`);
    await use(url, () => output);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  }
}

describe('npm start', () => {
  test('serves the demo and warns loudly about the development secret', async () => {
    await withDemoProcess({}, async (url, output) => {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /<th>Visits<\/th><td>1<\/td>/);
      assert.match(output(), /WARNING: SESSION_SECRET is not set/);
      assert.match(output(), /PUBLIC/);
      assert.ok(!output().includes(DEVELOPMENT_SECRET), 'the secret itself is never printed');
    });
  });

  test('does not warn when SESSION_SECRET is set', async () => {
    const secret = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
    await withDemoProcess({ SESSION_SECRET: secret }, async (url, output) => {
      assert.equal((await fetch(url)).status, 200);
      assert.doesNotMatch(output(), /WARNING/);
      assert.ok(!output().includes(secret));
    });
  });
});
