/**
 * The cookie defaults (ASVS 5.0 3.3.1): Secure, with the `__Host-` prefix where the path and domain allow
 * it and `__Secure-` where they do not; `secure: false` or `prefix: ''` opt out; and the
 * `luaRestySessionCookie` preset, which reproduces lua-resty-session's `session=...; Path=/; SameSite=Lax;
 * HttpOnly` byte for byte.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, luaRestySessionCookie, type CookieOptions, type SessionOptions } from '../../src/index.ts';
import { LONG_SECRET, quietLogger } from '../helpers/http.ts';
import { vector } from '../helpers/vectors.ts';

const VALUE = '[A-Za-z0-9_-]{110,}';

/** A manager with `cookie` (and a cheap remember cookie, so both names can be checked). */
function manager(cookie?: CookieOptions, extra: Partial<SessionOptions> = {}) {
  return createSessionManager({ secret: LONG_SECRET, logger: quietLogger, rememberSafety: 'low', ...(cookie === undefined ? {} : { cookie }), ...extra });
}

/** The Set-Cookie lines of one saved session (session first, then remember when `remember`). */
async function savedLines(cookie: CookieOptions | undefined, remember = false): Promise<string[]> {
  const m = manager(cookie, { remember });
  const headers = new Headers();
  const session = await m.open(new Request('https://example.com/app/'), headers);
  session.set('a', 1);
  await session.save();
  return headers.getSetCookie();
}

/** The `name=value` part of a Set-Cookie line, as a Cookie header. */
const pairOf = (line: string): string => line.split(';', 1)[0]!;

/** Saves a session under `cookie`, then opens it again from the Cookie header a browser would send. */
async function roundTrip(cookie: CookieOptions | undefined): Promise<void> {
  const m = manager(cookie);
  const headers = new Headers();
  const first = await m.open(new Request('https://example.com/app/'), headers);
  first.set('n', 42);
  await first.save();
  const again = await m.open(new Request('https://example.com/app/', { headers: { cookie: headers.getSetCookie().map(pairOf).join('; ') } }), new Headers());
  assert.equal(again.isNew, false);
  assert.equal(again.get('n'), 42);
}

describe('cookie defaults', () => {
  it("(1) by default: '__Host-session=...; Path=/; SameSite=Lax; Secure; HttpOnly', and __Host-remember", async () => {
    const [session, remember, ...rest] = await savedLines(undefined, true);
    assert.deepEqual(rest, []);
    assert.match(session!, new RegExp(`^__Host-session=${VALUE}; Path=/; SameSite=Lax; Secure; HttpOnly$`));
    assert.match(remember!, /^__Host-remember=[A-Za-z0-9_-]+; Path=\/; SameSite=Lax; Secure; HttpOnly; Expires=[^;]+; Max-Age=604800$/);
    const options = manager().options;
    assert.equal(options.cookieName, '__Host-session');
    assert.equal(options.rememberName, '__Host-remember');
    assert.equal(options.cookieAttributes, '; Path=/; SameSite=Lax; Secure; HttpOnly');
    // The same with an empty cookie object, or with only the (default) names given.
    assert.equal(manager({}).options.cookieName, '__Host-session');
    assert.equal(manager({ name: 'session', rememberName: 'remember' }).options.rememberName, '__Host-remember');
    await roundTrip(undefined);
  });

  it('(1) a bare `session=` cookie (a lua-resty-session cookie) is not the default cookie', async () => {
    const lua = manager(luaRestySessionCookie);
    const headers = new Headers();
    const s = await lua.open(new Request('https://example.com/'), headers);
    s.set('n', 1);
    await s.save();
    const cookie = pairOf(headers.getSetCookie()[0]!);
    assert.ok(cookie.startsWith('session='));
    assert.equal((await manager().open(new Request('https://example.com/', { headers: { cookie } }), new Headers())).isNew, true);
  });

  it("(2) luaRestySessionCookie reproduces lua-resty-session's Set-Cookie lines exactly", async () => {
    assert.deepEqual({ ...luaRestySessionCookie }, {
      name: 'session',
      rememberName: 'remember',
      prefix: '',
      path: '/',
      sameSite: 'Lax',
      httpOnly: true,
      secure: false,
    });
    assert.ok(Object.isFrozen(luaRestySessionCookie));
    const [session, remember, ...rest] = await savedLines(luaRestySessionCookie, true);
    assert.deepEqual(rest, []);
    assert.match(session!, new RegExp(`^session=${VALUE}; Path=/; SameSite=Lax; HttpOnly$`));
    assert.match(remember!, /^remember=[A-Za-z0-9_-]+; Path=\/; SameSite=Lax; HttpOnly; Expires=[^;]+; Max-Age=604800$/);
    // The attributes Lua itself wrote (the remember_medium vector: both cookies).
    const attributes = (line: string): string => line.slice(line.indexOf(';'));
    const lua = vector('remember_medium').response!.set_cookie!;
    assert.equal(attributes(session!), attributes(lua[0]!));
    assert.equal(attributes(remember!).replace(/Expires=[^;]+/, 'Expires=X'), attributes(lua[1]!).replace(/Expires=[^;]+/, 'Expires=X'));
    assert.ok(lua[0]!.startsWith('session=') && lua[1]!.startsWith('remember='));
    const options = manager(luaRestySessionCookie).options;
    assert.equal(options.cookieName, 'session');
    assert.equal(options.rememberName, 'remember');
    assert.equal(options.cookieAttributes, '; Path=/; SameSite=Lax; HttpOnly');
    await roundTrip(luaRestySessionCookie);
  });

  it('(2) the preset can be spread and overridden (e.g. Kong: Secure, SameSite=Strict)', async () => {
    const [line] = await savedLines({ ...luaRestySessionCookie, secure: true, sameSite: 'Strict' });
    assert.match(line!, new RegExp(`^session=${VALUE}; Path=/; SameSite=Strict; Secure; HttpOnly$`));
  });

  it("(3) cookie: { domain: 'example.com' } gives __Secure-session, Secure, with the Domain", async () => {
    const [session, remember] = await savedLines({ domain: 'example.com' }, true);
    assert.match(session!, new RegExp(`^__Secure-session=${VALUE}; Domain=example\\.com; Path=/; SameSite=Lax; Secure; HttpOnly$`));
    assert.match(remember!, /^__Secure-remember=[^;]+; Domain=example\.com; Path=\/; SameSite=Lax; Secure; HttpOnly; /);
    await roundTrip({ domain: 'example.com' });
  });

  it("(4) cookie: { path: '/app' } gives __Secure-session, Secure, with the Path", async () => {
    const [session, remember] = await savedLines({ path: '/app' }, true);
    assert.match(session!, new RegExp(`^__Secure-session=${VALUE}; Path=/app; SameSite=Lax; Secure; HttpOnly$`));
    assert.match(remember!, /^__Secure-remember=[^;]+; Path=\/app; SameSite=Lax; Secure; HttpOnly; /);
    assert.doesNotMatch(session!, /Domain=/);
    await roundTrip({ path: '/app' });
  });

  it('(5) cookie: { secure: false } gives plain `session` / `remember`, without Secure', async () => {
    const [session, remember] = await savedLines({ secure: false }, true);
    assert.match(session!, new RegExp(`^session=${VALUE}; Path=/; SameSite=Lax; HttpOnly$`));
    assert.match(remember!, /^remember=[^;]+; Path=\/; SameSite=Lax; HttpOnly; /);
    // With a domain or a path too: still no prefix and no Secure.
    const [scoped] = await savedLines({ secure: false, domain: 'example.com', path: '/app' });
    assert.match(scoped!, new RegExp(`^session=${VALUE}; Domain=example\\.com; Path=/app; SameSite=Lax; HttpOnly$`));
    await roundTrip({ secure: false });
  });

  it("(6) cookie: { prefix: '' } gives `session` / `remember` WITH Secure", async () => {
    const [session, remember] = await savedLines({ prefix: '' }, true);
    assert.match(session!, new RegExp(`^session=${VALUE}; Path=/; SameSite=Lax; Secure; HttpOnly$`));
    assert.match(remember!, /^remember=[^;]+; Path=\/; SameSite=Lax; Secure; HttpOnly; /);
    await roundTrip({ prefix: '' });
  });

  it("(7) prefix '__Host-' with secure: false throws a TypeError naming \"cookie.secure\"", () => {
    for (const prefix of ['__Host-', '__Secure-'] as const) {
      assert.throws(
        () => manager({ prefix, secure: false }),
        (err: unknown) => err instanceof TypeError && err.message.includes('"cookie.secure"') && err.message.includes(prefix),
        prefix,
      );
    }
  });

  it('an explicit prefix wins over the default choice, and __Host- still refuses a domain or a sub-path', async () => {
    const [secure] = await savedLines({ prefix: '__Secure-' });
    assert.match(secure!, new RegExp(`^__Secure-session=${VALUE}; Path=/; SameSite=Lax; Secure; HttpOnly$`));
    assert.throws(() => manager({ prefix: '__Host-', domain: 'example.com' }), /"cookie\.domain"/);
    assert.throws(() => manager({ prefix: '__Host-', path: '/app' }), /"cookie\.path"/);
  });
});
