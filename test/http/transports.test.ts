/**
 * The two transports end to end: real `node:http` servers on 127.0.0.1 (port 0) driven by Node's
 * `fetch()`, and the Fetch API form over `Request` / `Headers` / `Response`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, isSessionError, SessionError, type SessionOptions } from '../../src/index.ts';
import { CookieJar, invalidRecorder, LONG_SECRET, quietLogger, withServer } from '../helpers/http.ts';

function manager(extra: Partial<SessionOptions> = {}) {
  return createSessionManager({ secret: LONG_SECRET, logger: quietLogger, ...extra });
}

/** The session cookie's name under the default cookie options (Secure, `__Host-` prefix). */
const SESSION = '__Host-session';
const sessionLines = (lines: readonly string[], name = SESSION): string[] => lines.filter((l) => l.startsWith(`${name}=`));

/** A promise resolved from outside (to carry a result out of a request handler). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('node:http transport (real server)', () => {
  it('round trip: a visit counter increments over 3 requests replaying the cookie', async () => {
    const sessions = manager();
    await withServer(
      async (req, res) => {
        const session = await sessions.start(req, res);
        if (req.url === '/peek') {
          res.end(String(session.get('visits') ?? 0));
          return;
        }
        session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1);
        await session.save();
        res.end(String(session.get('visits')));
      },
      async (base) => {
        const anonymous = await fetch(`${base}/peek`);
        assert.equal(await anonymous.text(), '0');
        assert.deepEqual(anonymous.headers.getSetCookie(), [], 'an anonymous visit that saves nothing gets no cookie');

        const jar = new CookieJar();
        for (let visit = 1; visit <= 3; visit++) {
          const cookie = jar.header();
          const res = await fetch(base, cookie === undefined ? {} : { headers: { cookie } });
          assert.equal(res.status, 200);
          assert.equal(await res.text(), String(visit));
          const lines = res.headers.getSetCookie();
          assert.equal(sessionLines(lines).length, 1);
          assert.match(lines[0]!, /^__Host-session=[A-Za-z0-9_-]+; Path=\/; SameSite=Lax; Secure; HttpOnly$/);
          jar.update(lines);
        }
        const peek = await fetch(`${base}/peek`, { headers: { cookie: jar.header()! } });
        assert.equal(await peek.text(), '3');
        const fresh = await fetch(base);
        assert.equal(await fresh.text(), '1', 'without the cookie the count starts again');
      },
    );
  });

  it("keeps the handler's own Set-Cookie lines and leaves one session= line after two saves", async () => {
    const sessions = manager();
    await withServer(
      async (req, res) => {
        if (req.url === '/string') res.setHeader('set-cookie', 'b=2; Path=/');
        else res.setHeader('set-cookie', ['a=1', 'theme=dark; Path=/']);
        const session = await sessions.open(req, res);
        session.set('x', 1);
        await session.save();
        session.set('y', 2);
        await session.save();
        res.end(JSON.stringify(session.getData()));
      },
      async (base) => {
        const res = await fetch(base);
        const lines = res.headers.getSetCookie();
        assert.deepEqual(lines.slice(0, 2), ['a=1', 'theme=dark; Path=/']);
        assert.equal(sessionLines(lines).length, 1);
        assert.equal(lines.length, 3);
        const line = sessionLines(lines)[0]!;
        // The last save won: replaying the one cookie gives both attributes.
        const check = await fetch(`${base}/string`, { headers: { cookie: line.split(';', 1)[0]! } });
        assert.deepEqual(JSON.parse(await check.text()), { x: 1, y: 2 });
        assert.equal(check.headers.getSetCookie()[0], 'b=2; Path=/');
        assert.equal(sessionLines(check.headers.getSetCookie()).length, 1);
      },
    );
  });

  for (const how of ['end', 'flushHeaders'] as const) {
    it(`saving after res.${how}() rejects with SessionError HEADERS_SENT`, async () => {
      const sessions = manager();
      const outcome = deferred<unknown>();
      await withServer(
        async (req, res) => {
          const session = await sessions.open(req, res);
          session.set('late', true);
          if (how === 'end') res.end('done');
          else res.flushHeaders();
          outcome.resolve(await session.save().then(() => 'saved', (err: unknown) => err));
          if (!res.writableEnded) res.end('done');
        },
        async (base) => {
          const res = await fetch(base);
          assert.equal(await res.text(), 'done');
          assert.deepEqual(res.headers.getSetCookie(), []);
          const err = await outcome.promise;
          assert.ok(err instanceof SessionError, `expected a SessionError, got ${String(err)}`);
          assert.ok(isSessionError(err, 'HEADERS_SENT'));
        },
      );
    });
  }

  it('trustProxy with bind [ip, scheme]: X-Forwarded-For / X-Forwarded-Proto are what the cookie is bound to', async () => {
    const rec = invalidRecorder();
    const sessions = manager({ trustProxy: true, bind: ['ip', 'scheme'], onInvalid: rec.onInvalid });
    await withServer(
      async (req, res) => {
        const session = await sessions.open(req, res);
        if (req.url === '/login') {
          session.set('user', 'ada');
          await session.save();
        }
        res.end(JSON.stringify({ isNew: session.isNew, user: session.get('user') ?? null }));
      },
      async (base) => {
        const login = await fetch(`${base}/login`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
        await login.text();
        const cookie = new CookieJar().update(login.headers.getSetCookie()).header()!;
        const visit = async (headers: Record<string, string>) => JSON.parse(await (await fetch(base, { headers: { cookie, ...headers } })).text());

        assert.deepEqual(await visit({ 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }), { isNew: false, user: 'ada' });
        assert.deepEqual(await visit({ 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https' }), { isNew: false, user: 'ada' });
        rec.events.length = 0;
        assert.deepEqual(await visit({ 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'https' }), { isNew: true, user: null });
        assert.deepEqual(await visit({ 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'http' }), { isNew: true, user: null });
        assert.deepEqual(await visit({}), { isNew: true, user: null }, 'without the headers the socket address and scheme apply');
        assert.deepEqual(rec.events.map((e) => e.reason), ['unauthenticated', 'unauthenticated', 'unauthenticated']);
      },
    );
  });

  it('without trustProxy, X-Forwarded-For / X-Forwarded-Proto are ignored', async () => {
    const sessions = manager({ bind: ['ip', 'scheme'] });
    await withServer(
      async (req, res) => {
        const session = await sessions.open(req, res);
        if (req.url === '/login') {
          session.set('user', 'ada');
          await session.save();
        }
        res.end(JSON.stringify({ isNew: session.isNew, user: session.get('user') ?? null }));
      },
      async (base) => {
        const login = await fetch(`${base}/login`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
        await login.text();
        const cookie = new CookieJar().update(login.headers.getSetCookie()).header()!;
        for (const headers of [{ 'x-forwarded-for': '198.51.100.9', 'x-forwarded-proto': 'http' }, {}]) {
          const body = JSON.parse(await (await fetch(base, { headers: { cookie, ...headers } })).text());
          assert.deepEqual(body, { isNew: false, user: 'ada' }, JSON.stringify(headers));
        }
      },
    );
  });
});

describe('Fetch transport', () => {
  const get = (url: string, cookie?: string, headers: Record<string, string> = {}): Request =>
    new Request(url, { headers: cookie === undefined ? headers : { ...headers, cookie } });
  const cookieOf = (headers: Headers): string => new CookieJar().update(headers.getSetCookie()).header()!;

  it('start(request, headers) round trip on https://example.com/', async () => {
    const sessions = manager({ cookie: { secure: true } });
    const h1 = new Headers();
    const s1 = await sessions.start(get('https://example.com/'), h1);
    assert.equal(s1.isNew, true);
    assert.deepEqual(h1.getSetCookie(), [], 'start() alone sends nothing for a new session');
    s1.set('cart', ['apple']);
    await s1.save();
    const [line] = h1.getSetCookie();
    assert.match(line!, /^__Host-session=[A-Za-z0-9_-]+; Path=\/; SameSite=Lax; Secure; HttpOnly$/);

    const h2 = new Headers();
    const s2 = await sessions.start(get('https://example.com/cart', cookieOf(h1)), h2);
    assert.equal(s2.isNew, false);
    assert.deepEqual(s2.get('cart'), ['apple']);
    assert.equal(s2.id, s1.id);
  });

  it('other Set-Cookie lines on the Headers are kept; two saves leave one session line', async () => {
    const sessions = manager();
    const headers = new Headers([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2; Path=/x'],
      ['content-type', 'text/plain'],
    ]);
    const session = await sessions.open(get('http://example.com/'), headers);
    session.set('n', 1);
    await session.save();
    session.set('n', 2);
    await session.save();
    const lines = headers.getSetCookie();
    assert.deepEqual(lines.slice(0, 2), ['a=1', 'b=2; Path=/x']);
    assert.equal(sessionLines(lines).length, 1);
    assert.equal(lines.length, 3);
    assert.equal(headers.get('content-type'), 'text/plain');
    const again = await sessions.open(get('http://example.com/', sessionLines(lines)[0]!.split(';', 1)[0]!), new Headers());
    assert.equal(again.get('n'), 2);
  });

  it('the scheme comes from the request URL (bind: scheme)', async () => {
    const rec = invalidRecorder();
    const sessions = manager({ bind: ['scheme'], onInvalid: rec.onInvalid });
    const headers = new Headers();
    const s = await sessions.open(get('https://example.com/'), headers);
    s.set('k', 'v');
    await s.save();
    const cookie = cookieOf(headers);
    assert.equal((await sessions.open(get('https://example.com/other', cookie), new Headers())).get('k'), 'v');
    const plain = await sessions.open(get('http://example.com/', cookie), new Headers());
    assert.equal(plain.isNew, true);
    assert.deepEqual(rec.events.map((e) => e.reason), ['unauthenticated']);
    // Proxy headers are ignored unless trusted...
    assert.equal((await sessions.open(get('http://example.com/', cookie, { 'x-forwarded-proto': 'https' }), new Headers())).isNew, true);
    // ...and used when trusted.
    const trusting = manager({ bind: ['scheme'], trustProxy: true });
    const viaProxy = await trusting.open(get('http://internal/', cookie, { 'x-forwarded-proto': 'https' }), new Headers());
    assert.equal(viaProxy.get('k'), 'v');
  });

  it('the client address comes from the remoteAddress option (bind: ip)', async () => {
    const sessions = manager({ bind: ['ip'] });
    const headers = new Headers();
    const s = await sessions.open(get('https://example.com/'), headers, { remoteAddress: '192.0.2.1' });
    s.set('k', 1);
    await s.save();
    const cookie = cookieOf(headers);
    assert.equal((await sessions.open(get('https://example.com/', cookie), new Headers(), { remoteAddress: '192.0.2.1' })).isNew, false);
    assert.equal((await sessions.open(get('https://example.com/', cookie), new Headers(), { remoteAddress: '192.0.2.2' })).isNew, true);
    assert.equal((await sessions.open(get('https://example.com/', cookie), new Headers())).isNew, true);
  });

  it('quick start: visits over two requests, and a Response built from the Headers carries the Set-Cookie', async () => {
    const sessions = createSessionManager({ secret: LONG_SECRET, audience: 'shop' });
    const handle = async (request: Request): Promise<Response> => {
      const headers = new Headers({ 'content-type': 'text/plain' });
      const session = await sessions.start(request, headers);
      session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1);
      await session.save();
      return new Response(`visit ${session.get('visits')}`, { headers });
    };
    const first = await handle(new Request('https://shop.example/'));
    assert.equal(await first.text(), 'visit 1');
    const lines = first.headers.getSetCookie();
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.startsWith(`${SESSION}=`));
    assert.equal(first.headers.get('content-type'), 'text/plain');
    const second = await handle(new Request('https://shop.example/', { headers: { cookie: lines[0]!.split(';', 1)[0]! } }));
    assert.equal(await second.text(), 'visit 2');
    assert.equal(sessionLines(second.headers.getSetCookie()).length, 1);
    assert.equal(sessions.options.audience, 'shop');
  });

  it('open(request, notHeaders) is a TypeError, not a silent no-op', async () => {
    const sessions = manager();
    const call = sessions.open as unknown as (a: unknown, b: unknown) => Promise<unknown>;
    await assert.rejects(async () => call(get('https://example.com/'), {}), TypeError);
    await assert.rejects(async () => call({ url: 1 }, undefined), TypeError);
  });
});
