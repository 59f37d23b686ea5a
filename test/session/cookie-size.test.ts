/**
 * The cookie size budget (`cookie.maxSize`, issue 14), over real HTTP: what a save writes fits in the
 * budget or is refused with a typed error and no Set-Cookie; every Set-Cookie line is within 4096 bytes;
 * a request arriving with session cookies over the budget is answered with them expired; and the largest
 * session the default budget allows gets through a `node:http` server with its default header limit.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { chunkCount, cookieHeaderBytes } from '../../src/cookie/serialize.ts';
import { SessionTooLargeError, isSessionError, type InvalidCookie } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { DEFAULT_COOKIE_MAX_SIZE } from '../../src/options/cookie.ts';
import { linesBytes, requestCookiesBytes } from '../../src/session/budget.ts';
import { CookieJar, fakeNode, rawRequest, withServer } from '../helpers/http.ts';

const SECRET = 'cookie-size-tests-secret-0123456789abcdef';
/** The largest budget: nine full cookies. */
const NINE_COOKIES = 36_864;

/** A manager as the reporter made it (plain HTTP, so `session=`), plus `extra`. */
function manager(extra: SessionOptions = {}, events: InvalidCookie[] = []): SessionManager {
  return createSessionManager({
    secret: SECRET,
    logger: { warn() {} },
    onInvalid: (e) => void events.push(e),
    ...extra,
    cookie: { secure: false, ...extra.cookie },
  });
}

/** `n` characters of random base64 text, as in the issue. */
const randomText = (n: number): string => randomBytes(n).toString('base64').slice(0, n);

/**
 * A server whose `/save` stores the `x-data` request header's length worth of random text in the
 * session (answering 500 with the error's code and sizes as JSON when the save is refused), and whose `/`
 * reports the session it opened.
 */
function handler(m: SessionManager): http.RequestListener {
  return (req, res) => {
    void (async () => {
      const session = await m.open(req, res);
      if (req.url === '/save') {
        session.set('d', randomText(Number(req.headers['x-data'])));
        try {
          await session.save();
        } catch (err) {
          res.statusCode = 500;
          const e = err as SessionTooLargeError;
          res.end(JSON.stringify({ name: e.name, code: e.code, size: e.size, maxSize: e.maxSize, message: e.message, typed: err instanceof SessionTooLargeError }));
          return;
        }
      }
      res.end(JSON.stringify({ isNew: session.isNew, length: (session.get('d') as string | undefined)?.length ?? 0 }));
    })().catch((err: unknown) => {
      res.statusCode = 599;
      res.end(String(err));
    });
  };
}

/**
 * A GET through node:http with the jar's cookies (and any raw headers), read with a large response
 * header limit (the responses carry up to nine Set-Cookie lines of 4 KiB); updates the jar.
 */
async function get(base: string, path: string, jar: CookieJar, extra: string[] = []): Promise<{ status: number; setCookies: string[]; body: string }> {
  const cookie = jar.header();
  const url = new URL(base);
  const r = await new Promise<{ status: number; setCookies: string[]; body: string }>((resolve, reject) => {
    const headers = ['host', url.host, 'connection', 'close', ...(cookie === undefined ? [] : ['cookie', cookie]), ...extra];
    const req = http.request({ host: url.hostname, port: url.port, path, headers, maxHeaderSize: 256 * 1024 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookies: res.headers['set-cookie'] ?? [], body }));
    });
    req.on('error', reject);
    req.end();
  });
  jar.update(r.setCookies);
  return r;
}

/** Runs `fn` against an `http.createServer(options, listener)` on 127.0.0.1, closed afterwards. */
async function withNodeServer<T>(options: http.ServerOptions, listener: http.RequestListener, fn: (base: string) => Promise<T>): Promise<T> {
  const server = http.createServer(options, listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('the cookie size budget (cookie.maxSize)', () => {
  it("the issue's sizes: within the budget the save succeeds, every line <= 4096 B and the next Cookie header <= the budget; over it a typed error and no Set-Cookie", async () => {
    // The default budget, and the largest one (where each of the sizes is written).
    const expected: Record<number, Record<number, boolean>> = {
      [DEFAULT_COOKIE_MAX_SIZE]: { 3000: true, 6000: false, 12000: false, 30000: false },
      [NINE_COOKIES]: { 3000: true, 6000: true, 12000: true, 30000: true },
    };
    for (const maxSize of [DEFAULT_COOKIE_MAX_SIZE, NINE_COOKIES]) {
      const m = manager(maxSize === DEFAULT_COOKIE_MAX_SIZE ? {} : { cookie: { maxSize } });
      await withNodeServer({ maxHeaderSize: 64 * 1024 }, handler(m), async (base) => {
        for (const size of [3000, 6000, 12000, 30000]) {
          const label = `budget ${maxSize}, ${size} B`;
          const jar = new CookieJar();
          const saved = await get(base, '/save', jar, ['x-data', String(size)]);
          if (!expected[maxSize]![size]) {
            assert.equal(saved.status, 500, label);
            const e = JSON.parse(saved.body) as { name: string; code: string; size: number; maxSize: number; message: string; typed: boolean };
            assert.deepEqual([e.name, e.code, e.maxSize, e.typed], ['SessionTooLargeError', 'SESSION_TOO_LARGE', maxSize, true], label);
            assert.ok(e.size > maxSize, `${label}: size ${e.size}`);
            assert.ok(!/[A-Za-z0-9+/]{40}/.test(e.message), `${label}: no data in the message`);
            assert.deepEqual(saved.setCookies, [], `${label}: no Set-Cookie on refusal`);
            continue;
          }
          assert.equal(saved.status, 200, `${label}: ${saved.body}`);
          for (const line of saved.setCookies) assert.ok(Buffer.byteLength(line) <= 4096, `${label}: a line of ${line.length} B`);
          const header = jar.header()!;
          assert.ok(header.length <= maxSize, `${label}: Cookie header of ${header.length} B`);
          assert.equal(linesBytes(saved.setCookies.map((l) => [l.split('=', 1)[0]!, l])), header.length, `${label}: the budget counts the Cookie header exactly`);
          const back = await get(base, '/', jar);
          assert.deepEqual(JSON.parse(back.body), { isNew: false, length: size }, label);
        }
      });
    }
  });

  it("the error's size is the Cookie header the save would have produced", async () => {
    const data = randomText(6000);
    const small = manager();
    const large = manager({ cookie: { maxSize: NINE_COOKIES } });
    const refused = await small.open(new Request('http://127.0.0.1/'), new Headers());
    refused.set('d', data);
    const err = await refused.save().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SessionTooLargeError && isSessionError(err, 'SESSION_TOO_LARGE'));
    const headers = new Headers();
    const written = await large.open(new Request('http://127.0.0.1/'), headers);
    written.set('d', data);
    await written.save();
    const header = new CookieJar().update(headers.getSetCookie()).header()!;
    assert.equal(err.size, header.length);
    assert.equal(err.maxSize, DEFAULT_COOKIE_MAX_SIZE);
  });

  it('the remember cookie counts too: both cookies together stay within the budget', async () => {
    const m = manager({ remember: true, rememberSafety: 'none' });
    await withServer(handler(m), async (base) => {
      const ok = new CookieJar();
      assert.equal((await get(base, '/save', ok, ['x-data', '1500'])).status, 200);
      assert.ok(ok.get('remember') !== undefined);
      assert.ok(ok.header()!.length <= DEFAULT_COOKIE_MAX_SIZE, `${ok.header()!.length}`);
      // 3000 B fits alone (see above) but not twice.
      const refused = await get(base, '/save', new CookieJar(), ['x-data', '3000']);
      assert.equal(refused.status, 500);
      assert.deepEqual(refused.setCookies, []);
    });
  });

  it('the largest save the default budget allows gets through a node:http server with its default header limit', async () => {
    for (const remember of [false, true]) {
      // Without compression the cookies' size depends on the data's length only: bisection finds the
      // largest that saves.
      const m = manager({ remember, rememberSafety: 'none', compressionThreshold: 0, cookie: { secure: true } });
      const saves = async (n: number): Promise<CookieJar | undefined> => {
        const headers = new Headers();
        const s = await m.open(new Request('https://127.0.0.1/'), headers);
        s.set('d', randomText(n));
        return s.save().then(() => new CookieJar().update(headers.getSetCookie()), () => undefined);
      };
      let lo = 0;
      let hi = 4096;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((await saves(mid)) === undefined) hi = mid;
        else lo = mid;
      }
      const jar = (await saves(lo))!;
      const header = jar.header()!;
      assert.ok(header.length <= DEFAULT_COOKIE_MAX_SIZE && header.length > DEFAULT_COOKIE_MAX_SIZE - 100, `remember ${remember}: ${header.length} B`);
      // Node's default limit (16 KiB for the whole request head), with a browser's other headers and
      // 3.5 KiB of the application's other cookies beside the session's.
      assert.equal(http.maxHeaderSize, 16 * 1024);
      const others = Array.from({ length: 7 }, (_, i) => `app${i}=${'v'.repeat(500)}`).join('; ');
      const cookie = `${others}; ${header}`;
      // What an 8 KiB front end checks: the whole header line (nginx: one 8 KiB buffer; Apache: 8190 B).
      assert.ok(`Cookie: ${cookie}`.length <= 8190, `Cookie line of ${cookie.length + 8} B`);
      const browser = ['user-agent', `Mozilla/5.0 ${'x'.repeat(120)}`, 'accept', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8', 'accept-language', 'en-GB,en;q=0.9'];
      const status = await new Promise<{ status: number; saw: boolean }>((resolve, reject) => {
        const server = http.createServer(async (req, res) => {
          const session = await m.open(req, res);
          res.end(String(!session.isNew));
        });
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          rawRequest(`http://127.0.0.1:${port}`, ['cookie', cookie, 'x-forwarded-proto', 'https', ...browser])
            .then((r) => resolve({ status: r.status, saw: r.body === 'true' }), reject)
            .finally(() => {
              server.closeAllConnections();
              server.close();
            });
        });
      });
      assert.deepEqual(status, { status: 200, saw: true }, `remember ${remember}`);
    }
  });

  it('what the budget prevents: a nine-cookie session is refused by a node:http server with its default limit (431)', async () => {
    const m = manager({ cookie: { maxSize: NINE_COOKIES }, compressionThreshold: 0 });
    const headers = new Headers();
    const s = await m.open(new Request('http://127.0.0.1/'), headers);
    s.set('d', randomText(20_000));
    await s.save();
    const cookie = new CookieJar().update(headers.getSetCookie()).header()!;
    await withServer(() => assert.fail('the request must not reach the application'), async (base) => {
      const r = await rawRequest(base, ['cookie', cookie]);
      assert.equal(r.status, 431);
    });
  });

  it('a request arriving over the budget (an older deploy) gets its session cookies expired, an oversized reason, and a new session', async () => {
    // Issued by a deploy with the largest budget, read by one with the default, behind a front end that
    // lets the request through (a raised limit).
    const old = manager({ cookie: { maxSize: NINE_COOKIES }, remember: true, rememberSafety: 'none' });
    const events: InvalidCookie[] = [];
    const current = manager({}, events);
    const jar = new CookieJar();
    await withNodeServer({ maxHeaderSize: 64 * 1024 }, handler(old), async (base) => {
      assert.equal((await get(base, '/save', jar, ['x-data', '9000'])).status, 200);
    });
    const sent = jar.header()!;
    const names = sent.split('; ').map((p) => p.split('=', 1)[0]);
    assert.ok(names.includes('session3') && names.includes('remember3'), names.join());
    await withNodeServer({ maxHeaderSize: 64 * 1024 }, handler(current), async (base) => {
      const r = await get(base, '/', jar, ['cookie', 'theme=dark']);
      assert.deepEqual(JSON.parse(r.body), { isNew: true, length: 0 });
      assert.deepEqual(r.setCookies.map((l) => l.split('=', 1)[0]), names, 'every chunk of both cookies is expired');
      assert.ok(r.setCookies.every((l) => l.endsWith('; Max-Age=0')));
      assert.deepEqual(events, [{ reason: 'oversized', cookie: 'session', detail: 'session cookies exceed the cookie size budget' }]);
      assert.equal(jar.header(), undefined, 'the client holds none of them any more');
      // The same request may start a new session: its cookie replaces the expiry of `session` only.
      jar.update(sent.split('; ').map((p) => `${p}; Path=/`));
      const fresh = await get(base, '/save', jar, ['x-data', '100']);
      assert.equal(fresh.status, 200);
      assert.deepEqual(fresh.setCookies.filter((l) => !l.endsWith('; Max-Age=0')).map((l) => l.split('=', 1)[0]), ['session']);
      assert.deepEqual(JSON.parse((await get(base, '/', jar)).body), { isNew: false, length: 100 });
    });
  });

  it('a session within the budget is read as always (the budget does not shed what it allows)', async () => {
    const events: InvalidCookie[] = [];
    const m = manager({}, events);
    await withServer(handler(m), async (base) => {
      const jar = new CookieJar();
      await get(base, '/save', jar, ['x-data', '2500']);
      const r = await get(base, '/', jar, []);
      assert.deepEqual(JSON.parse(r.body), { isNew: false, length: 2500 });
      assert.deepEqual(r.setCookies, []);
      assert.deepEqual(events, []);
    });
  });

  it('an oversized request opened after the headers went out is still no session, and nothing throws', async () => {
    const events: InvalidCookie[] = [];
    const m = manager({}, events);
    const pair = fakeNode(`session=${'A'.repeat(5000)}`);
    pair.res.headersSent = true;
    const session = await m.open(pair.req, pair.res);
    assert.equal(session.isNew, true);
    assert.deepEqual(pair.setCookies(), []);
    assert.deepEqual(events.map((e) => e.reason), ['oversized']);
  });

  it('"cookie.maxSize" is validated at construction: an integer from 1024 to 36864', () => {
    for (const bad of [1023, 36_865, 4096.5, Number.NaN, '4096', -1, Number.POSITIVE_INFINITY]) {
      assert.throws(() => manager({ cookie: { maxSize: bad as number } }), (err: unknown) => err instanceof RangeError && err.message.startsWith('"cookie.maxSize" expected an integer from 1024 to 36864'), String(bad));
    }
    assert.equal(manager().options.cookieMaxSize, 4096);
    assert.equal(manager({ cookie: { maxSize: 1024 } }).options.cookieMaxSize, 1024);
    assert.equal(manager({ cookie: { maxSize: NINE_COOKIES } }).options.cookieMaxSize, NINE_COOKIES);
  });

  it('the measures: Set-Cookie lines, request cookies, and the chunk layout with attributes', () => {
    assert.equal(linesBytes([]), 0);
    assert.equal(linesBytes([['a', 'a=1']]), 3, 'a line without attributes');
    assert.equal(linesBytes([['a', 'a=1; Path=/'], ['a2', 'a2=22; Path=/']]), 'a=1; a2=22'.length);
    assert.equal(requestCookiesBytes([], ['session']), 0);
    assert.equal(requestCookiesBytes([['abc', 'de'], undefined, ['x']], ['session', 'session2', 'session3']), 'session=abc; session=de; session3=x'.length);
    // lua-resty-session's layout (name=value only) and this library's (the whole line).
    assert.equal(chunkCount(7, 4088), 1);
    assert.equal(chunkCount(7, 4088, 32), 2);
    assert.equal(chunkCount(7, 40_000), 0);
    assert.equal(cookieHeaderBytes(7, 100, 1), 108);
    assert.equal(cookieHeaderBytes(7, 5000, 2), 'session='.length + 'session2='.length + 5000 + 2);
  });
});
