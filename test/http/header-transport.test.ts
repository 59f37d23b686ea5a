/**
 * The header transport over real HTTP (a `node:http` server, and a Fetch handler served through
 * `node:http`): the sealed session in `Authorization: Bearer <token>` (or a named header) and the new
 * token back in `Session-Token` on every write; timeouts, touch, rotation, revocation and destroy as with
 * cookies; no fallback to cookies; hostile header values never throw; the token budget; the options.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, isSessionError, type SessionManager, type SessionOptions } from '../../src/index.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { invalidRecorder, LONG_SECRET, quietLogger, withServer } from '../helpers/http.ts';

const T0 = 1_700_000_000;

function setup(extra: Partial<SessionOptions> = {}) {
  const clock = fixedClock(T0);
  const invalid = invalidRecorder();
  const sessions = createSessionManager({ secret: LONG_SECRET, logger: quietLogger, now: clock.now, onInvalid: invalid.onInvalid, transport: 'header', ...extra });
  return { clock, invalid, sessions };
}

/** The visit counter: `/` increments and saves, `/peek` reads, `/big?n=` stores n characters, `/logout` destroys, `/login` regenerates. */
function counter(sessions: SessionManager) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const session = await sessions.start(req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/logout') await session.destroy();
    else if (url.pathname === '/login') await session.regenerate();
    else if (url.pathname === '/big') {
      session.set('big', 'x'.repeat(Number(url.searchParams.get('n'))));
      try {
        await session.save();
      } catch (err) {
        res.statusCode = 413;
        res.end(isSessionError(err, 'SESSION_TOO_LARGE') ? 'too large' : String(err));
        return;
      }
    } else if (url.pathname !== '/peek') {
      session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1);
      await session.save();
    }
    res.end(String(session.state === 'closed' ? 'closed' : (session.get('visits') ?? 0)));
  };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('header transport over node:http', () => {
  it('round trip: the token comes back in Session-Token, no Set-Cookie, Cache-Control: no-store', async () => {
    const { sessions } = setup();
    await withServer(counter(sessions), async (base) => {
      let token: string | undefined;
      const seen = new Set<string>();
      for (let visit = 1; visit <= 3; visit++) {
        const res = await fetch(base, token === undefined ? {} : { headers: bearer(token) });
        assert.equal(await res.text(), String(visit));
        assert.deepEqual(res.headers.getSetCookie(), []);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        token = res.headers.get('session-token') ?? undefined;
        assert.match(token!, /^[A-Za-z0-9_-]{111,}$/);
        assert.ok(!seen.has(token!), 'a new token on every save');
        seen.add(token!);
      }
      const peek = await fetch(`${base}/peek`, { headers: bearer(token!) });
      assert.equal(await peek.text(), '3');
      assert.equal(peek.headers.get('session-token'), null, 'a request that writes nothing returns no token');
      // The scheme is matched in any case, with any spacing.
      for (const authorization of [`bearer ${token}`, `BEARER   ${token}`, `  Bearer ${token}  `]) {
        assert.equal(await (await fetch(`${base}/peek`, { headers: { authorization } })).text(), '3', authorization);
      }
    });
  });

  it('never falls back to cookies: a valid session cookie without the header is no session', async () => {
    const { sessions } = setup();
    const cookies = createSessionManager({ secret: LONG_SECRET, logger: quietLogger, now: () => T0, cookie: { secure: false } });
    await withServer(counter(sessions), async (base) => {
      const first = await fetch(base);
      const token = first.headers.get('session-token')!;
      // The same sealed value as a cookie, under every name the manager could use: ignored.
      for (const name of ['__Host-session', 'session']) {
        const res = await fetch(`${base}/peek`, { headers: { cookie: `${name}=${token}` } });
        assert.equal(await res.text(), '0', name);
      }
      // A real cookie session of the same secret: ignored too.
      await withServer(counter(cookies), async (cookieBase) => {
        const line = (await fetch(cookieBase)).headers.getSetCookie()[0]!;
        const res = await fetch(`${base}/peek`, { headers: { cookie: line.split(';', 1)[0]! } });
        assert.equal(await res.text(), '0');
      });
    });
  });

  it('hostile or foreign header values never throw: no session, a typed reason for a Bearer token', async () => {
    const { sessions, invalid } = setup();
    await withServer(counter(sessions), async (base) => {
      const token = (await fetch(base)).headers.get('session-token')!;
      const cases: Array<[string, string | undefined]> = [
        ['Basic dXNlcjpwYXNz', undefined],
        ['Bearer', undefined],
        ['Bearer ', undefined],
        ['Bearertoken', undefined],
        ['Bearer a;b=c', 'malformed'],
        ['Bearer session=x; session2=y', 'malformed'],
        [`Bearer ${token.slice(0, 50)}`, 'malformed'],
        // One character of the ciphertext changed (a whole 6-bit group, so still canonical base64url).
        [`Bearer ${token.slice(0, 120)}${token[120] === 'A' ? 'B' : 'A'}${token.slice(121)}`, 'tampered'],
        [`Bearer ${token}, Bearer ${token}`, 'malformed'],
        [`Bearer ${'\u00ff'.repeat(20)}`, 'malformed'],
        // Over maxTokenSize (as cookies, over the budget it stands for): not decoded at all.
        [`Bearer ${'A'.repeat(12000)}`, 'oversized'],
      ];
      for (const [authorization, reason] of cases) {
        invalid.events.length = 0;
        const res = await fetch(`${base}/peek`, { headers: { authorization } });
        assert.equal(res.status, 200, authorization.slice(0, 40));
        assert.equal(await res.text(), '0');
        assert.deepEqual(invalid.events.map((e) => e.reason), reason === undefined ? [] : [reason], authorization.slice(0, 40));
      }
    });
  });

  it('a session larger than one cookie is one token; over maxTokenSize a save fails with SESSION_TOO_LARGE and sends nothing', async () => {
    const { sessions } = setup({ compressionThreshold: 0 });
    await withServer(counter(sessions), async (base) => {
      const res = await fetch(`${base}/big?n=5000`);
      const token = res.headers.get('session-token')!;
      assert.ok(token.length > 4096 && token.length <= 8000, String(token.length));
      const back = await fetch(`${base}/peek`, { headers: bearer(token) });
      assert.equal(back.status, 200);
      assert.equal(back.headers.get('session-token'), null);
      const tooBig = await fetch(`${base}/big?n=7000`, { headers: bearer(token) });
      assert.equal(tooBig.status, 413);
      assert.equal(await tooBig.text(), 'too large');
      assert.equal(tooBig.headers.get('session-token'), null, 'no token for the refused save');
    });
    const roomy = setup({ compressionThreshold: 0, transport: { maxTokenSize: 12000 } }).sessions;
    await withServer(counter(roomy), async (base) => {
      const token = (await fetch(`${base}/big?n=7000`)).headers.get('session-token')!;
      assert.ok(token.length > 8000, String(token.length));
      assert.equal((await fetch(`${base}/peek`, { headers: bearer(token) })).status, 200);
    });
  });

  it('timeouts: start() touches after touchThreshold (same id, new token), the idle timeout ends the session', async () => {
    const { sessions, clock, invalid } = setup();
    await withServer(counter(sessions), async (base) => {
      const token = (await fetch(base)).headers.get('session-token')!;
      clock.advance(120);
      const touched = await fetch(`${base}/peek`, { headers: bearer(token) });
      assert.equal(await touched.text(), '1');
      const next = touched.headers.get('session-token')!;
      assert.notEqual(next, token);
      assert.equal(next.slice(0, 40), token.slice(0, 40), 'a touch keeps the session id (only the idling offset and MAC change)');
      assert.equal(next.slice(110), token.slice(110), 'and the payload');
      clock.advance(901);
      const expired = await fetch(`${base}/peek`, { headers: bearer(next) });
      assert.equal(await expired.text(), '0');
      assert.deepEqual(invalid.events.map((e) => [e.reason, e.detail]), [['expired', 'session idling timeout exceeded']]);
    });
  });

  it('a touch of a token longer than one cookie re-sends the whole token, which still opens', async () => {
    const { sessions, clock, invalid } = setup({ compressionThreshold: 0 });
    await withServer(counter(sessions), async (base) => {
      const token = (await fetch(`${base}/big?n=5000`)).headers.get('session-token')!;
      assert.ok(token.length > 4096);
      clock.advance(120);
      const touched = await fetch(`${base}/peek`, { headers: bearer(token) });
      const next = touched.headers.get('session-token')!;
      assert.equal(next.length, token.length);
      assert.notEqual(next, token);
      assert.equal(next.slice(110), token.slice(110), 'only the header changed');
      clock.advance(120);
      const again = await fetch(base, { headers: bearer(next) });
      assert.equal(await again.text(), '1');
      assert.deepEqual(invalid.events, []);
    });
  });

  it('rotation and revocation: regenerate returns a new token and the old one is refused; destroy returns an empty token', async () => {
    const { sessions, invalid } = setup({ revocation: { storage: memoryStorage() } });
    await withServer(counter(sessions), async (base) => {
      const first = (await fetch(base)).headers.get('session-token')!;
      const login = await fetch(`${base}/login`, { headers: bearer(first) });
      const second = login.headers.get('session-token')!;
      assert.notEqual(second, first);
      assert.notEqual(second.slice(0, 40), first.slice(0, 40), 'a new session id');
      assert.equal(await (await fetch(`${base}/peek`, { headers: bearer(first) })).text(), '0', 'the old token is dead at once');
      assert.deepEqual(invalid.events.map((e) => e.reason), ['revoked']);
      assert.equal(await (await fetch(`${base}/peek`, { headers: bearer(second) })).text(), '1');

      const logout = await fetch(`${base}/logout`, { headers: bearer(second) });
      assert.equal(await logout.text(), 'closed');
      assert.equal(logout.headers.get('session-token'), '', 'an empty token: discard it');
      assert.equal(logout.headers.get('cache-control'), 'no-store');
      assert.equal(await (await fetch(`${base}/peek`, { headers: bearer(second) })).text(), '0');
    });
  });

  it('server-side storage: the token is the 110-character header; destroy deletes the record', async () => {
    const { sessions, invalid } = setup({ storage: memoryStorage() });
    await withServer(counter(sessions), async (base) => {
      const token = (await fetch(`${base}/big?n=20000`)).headers.get('session-token')!;
      assert.equal(token.length, 110);
      assert.equal(await (await fetch(base, { headers: bearer(token) })).text(), '1');
      const again = (await fetch(`${base}/peek`, { headers: bearer(token) })).status;
      assert.equal(again, 200);
    });
    assert.ok(invalid.events.every((e) => e.reason !== 'malformed'));
  });

  it('a named header: a bare token both ways, and clearRequestCookie() strips it before proxying', async () => {
    const { sessions } = setup({ transport: { requestHeader: 'X-Session', responseHeader: 'X-Session' } });
    await withServer(
      async (req, res) => {
        const session = await sessions.start(req, res);
        if (req.url === '/proxy') {
          const remaining = session.clearRequestCookie();
          res.end(JSON.stringify({ remaining: remaining ?? null, token: req.headers['x-session'] ?? null, cookie: req.headers.cookie ?? null }));
          return;
        }
        session.set('n', 1);
        await session.save();
        res.end('ok');
      },
      async (base) => {
        const token = (await fetch(base)).headers.get('x-session')!;
        assert.match(token, /^[A-Za-z0-9_-]+$/);
        const proxied = await fetch(`${base}/proxy`, { headers: { 'x-session': token, cookie: 'theme=dark' } });
        assert.deepEqual(await proxied.json(), { remaining: null, token: null, cookie: 'theme=dark' });
        // With a named header, "Bearer <token>" is not a token.
        const prefixed = await fetch(`${base}/proxy`, { headers: { 'x-session': `Bearer ${token}` } });
        assert.equal(prefixed.status, 200);
      },
    );
  });
});

/** Serves a Fetch handler on node:http (Node 20 has no Fetch server of its own). */
async function withFetchServer(handler: (request: Request) => Promise<Response>, fn: (base: string) => Promise<void>): Promise<void> {
  const server = http.createServer(async (req, res) => {
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    const response = await handler(new Request(`http://${req.headers.host}${req.url}`, { headers }));
    res.statusCode = response.status;
    response.headers.forEach((value, name) => res.setHeader(name, value));
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('header transport through a Fetch handler', () => {
  it('round trip, touch-free peek, destroy', async () => {
    const { sessions } = setup();
    const handler = async (request: Request): Promise<Response> => {
      const headers = new Headers();
      const session = await sessions.start(request, headers);
      const path = new URL(request.url).pathname;
      if (path === '/logout') await session.destroy();
      else if (path !== '/peek') {
        session.set('visits', ((session.get('visits') as number | undefined) ?? 0) + 1);
        await session.save();
      }
      return new Response(session.state === 'closed' ? 'closed' : String(session.get('visits') ?? 0), { headers });
    };
    await withFetchServer(handler, async (base) => {
      const one = await fetch(base);
      assert.equal(await one.text(), '1');
      const token = one.headers.get('session-token')!;
      assert.deepEqual(one.headers.getSetCookie(), []);
      const two = await fetch(base, { headers: bearer(token) });
      assert.equal(await two.text(), '2');
      const next = two.headers.get('session-token')!;
      assert.equal(await (await fetch(`${base}/peek`, { headers: bearer(next) })).text(), '2');
      const out = await fetch(`${base}/logout`, { headers: bearer(next) });
      assert.equal(out.headers.get('session-token'), '');
    });
  });

  it('an oversized token (beyond what node:http accepts) is refused as oversized before decoding', async () => {
    const { sessions, invalid } = setup();
    const request = new Request('https://example.com/', { headers: bearer('A'.repeat(50_000)) });
    const session = await sessions.open(request, new Headers());
    assert.equal(session.isNew, true);
    assert.deepEqual(invalid.events.map((e) => e.reason), ['oversized']);
  });
});

describe('header transport options', () => {
  const build = (transport: unknown, extra: Partial<SessionOptions> = {}) =>
    createSessionManager({ secret: LONG_SECRET, logger: quietLogger, transport: transport as SessionOptions['transport'], ...extra });

  it('defaults, and a named header takes no scheme by default', () => {
    assert.deepEqual(build('header').options.transport, { requestHeader: 'authorization', scheme: 'bearer', responseHeader: 'Session-Token', maxTokenSize: 8000 });
    assert.deepEqual(build({ requestHeader: 'X-Token' }).options.transport, { requestHeader: 'x-token', scheme: undefined, responseHeader: 'Session-Token', maxTokenSize: 8000 });
    assert.equal(build({ scheme: 'Session' }).options.transport?.scheme, 'session');
    assert.equal(build('cookie').options.transport, undefined);
    assert.equal(build(undefined).options.transport, undefined);
  });

  it('mistakes throw at construction, naming the option', () => {
    const cases: Array<[unknown, RegExp, ErrorConstructor]> = [
      ['headers', /"transport" expected 'cookie', 'header' or an object/, TypeError],
      [42, /"transport" expected/, TypeError],
      [{ requestHeader: 'Cookie' }, /"transport.requestHeader" must not be "Cookie"/, TypeError],
      [{ requestHeader: 'a b' }, /"transport.requestHeader" expected a header name/, TypeError],
      [{ requestHeader: 'x\r\nSet-Cookie: a=1' }, /"transport.requestHeader"/, TypeError],
      [{ responseHeader: 'Set-Cookie' }, /"transport.responseHeader" must not be "Set-Cookie"/, TypeError],
      [{ responseHeader: 'session-id' }, /"transport.responseHeader" must not be "session-id"/, TypeError],
      [{ scheme: 'Bear er' }, /"transport.scheme"/, TypeError],
      [{ maxTokenSize: 100 }, /"transport.maxTokenSize" expected an integer from 512 to 32768/, RangeError],
      [{ maxTokenSize: 1e6 }, /"transport.maxTokenSize"/, RangeError],
      [{ maxTokenSize: 1000.5 }, /"transport.maxTokenSize"/, RangeError],
    ];
    for (const [transport, message, type] of cases) assert.throws(() => build(transport), (err: unknown) => err instanceof type && message.test((err as Error).message), String(transport));
    assert.throws(() => build('header', { remember: true }), /"remember" cannot be true with a header "transport"/);
  });

  it('setRemember(true) throws: remember-me needs cookies', async () => {
    const session = await build('header').open(new Request('https://example.com/'), new Headers());
    assert.throws(() => session.setRemember(true), TypeError);
    session.setRemember(false);
  });
});
