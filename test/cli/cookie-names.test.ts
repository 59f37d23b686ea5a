/**
 * `httpsession inspect` and cookie names: without --cookie-name a Cookie header is searched for
 * lua-resty-session's `session` and httpsession's secure defaults `__Host-session` / `__Secure-session`
 * (`remember` likewise); the name given or found is used whole (no prefix added), so chunked cookies
 * are laid out by their real name's length.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, luaRestySessionCookie, type CookieOptions } from '../../src/index.ts';
import { incompressible } from '../helpers/session.ts';
import { runCli } from '../helpers/cli.ts';
import { cookieValues, joinedCookie } from '../helpers/vectors.ts';

const SECRET = 'cli-cookie-names-secret-0123456789abcdef';
const NOW = 1_700_000_000;

const run = runCli;

const inspect = (...args: string[]) => run('inspect', '--secret', SECRET, '--now', String(NOW), ...args);

/** The Set-Cookie lines of one saved session holding `data`, and its id. */
async function issue(cookie: CookieOptions | undefined, data: Record<string, unknown> = { user: 'ada' }, remember = false) {
  const manager = createSessionManager({
    secret: SECRET,
    now: () => NOW,
    compressionThreshold: 0,
    rememberSafety: 'low',
    remember,
    // Room for the chunked cookies these tests inspect (the default budget keeps a session in about one).
    cookie: { ...cookie, maxSize: 36_864 },
  });
  const headers = new Headers();
  const session = await manager.open(new Request('https://example.com/'), headers);
  session.setData(data);
  await session.save();
  return { lines: headers.getSetCookie(), sid: session.id };
}

/** The Cookie header a browser sends back for Set-Cookie lines. */
const header = (lines: readonly string[]): string => [...cookieValues(lines)].map(([n, v]) => `${n}=${v}`).join('; ');

describe('inspect: default cookie names', () => {
  for (const [label, cookie, name] of [
    ['the default (__Host-session)', undefined, '__Host-session'],
    ["a domain's (__Secure-session)", { domain: 'example.com' }, '__Secure-session'],
    ["lua-resty-session's (session)", luaRestySessionCookie, 'session'],
  ] as const) {
    it(`finds ${label} in a Cookie header without --cookie-name`, async () => {
      const { lines, sid } = await issue(cookie);
      assert.ok(lines[0]!.startsWith(`${name}=`), lines[0]);
      const r = await inspect(`Cookie: theme=dark; ${header(lines)}; other=1`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.report.valid, true);
      assert.deepEqual(r.report.audiences, [{ audience: 'default', subject: null, data: { user: 'ada' } }]);
      assert.equal(r.report.header?.sid, sid);
      assert.equal(r.stderr, '');
      // The bare value works too, and so does naming the cookie.
      assert.equal((await inspect(cookieValues(lines).get(name)!)).code, 0);
      assert.equal((await inspect('--cookie-name', name, header(lines))).code, 0);
    });
  }

  it('a chunked __Host-session cookie: the whole header, and its chunks joined into one value', async () => {
    const { lines } = await issue(undefined, { blob: incompressible(9000) });
    assert.deepEqual([...cookieValues(lines).keys()], ['__Host-session', '__Host-session2', '__Host-session3', '__Host-session4']);
    const r = await inspect(header(lines));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.report.audiences![0]!.data as { blob: string }).blob.length, 9000);
    assert.equal((await inspect(joinedCookie(lines, '__Host-session'))).code, 0);
    const alone = await inspect(cookieValues(lines).get('__Host-session')!);
    assert.equal(alone.report.reason, 'missing-chunk');
  });

  it('the chunk layout follows the real name: a 4082-character `session` cookie is one cookie, not two', async () => {
    // 8 + 4082 <= 4096 fits one `session` cookie in lua-resty-session's layout (which counts name=value
    // only; httpsession keeps the attributes within 4096 too, so it writes two), but 15 + 4082 would need
    // two `__Host-session` ones.
    let found: string | undefined;
    for (let n = 2900; n < 3100 && found === undefined; n++) {
      const { lines } = await issue(luaRestySessionCookie, { x: 'a'.repeat(n) });
      const value = joinedCookie(lines, 'session');
      if (value.length > 4081 && value.length <= 4088) found = `session=${value}`;
    }
    assert.ok(found !== undefined, 'a cookie of that size');
    const r = await inspect(found);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await inspect('--cookie-name', 'session', found)).code, 0);
  });

  it('several cookies under the default names: the valid one is shown, with a note naming them', async () => {
    const lua = await issue(luaRestySessionCookie, { from: 'lua' });
    const mine = await issue(undefined, { from: 'node' });
    const r = await inspect(`session=${'A'.repeat(120)}; ${header(mine.lines)}`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.report.header?.sid, mine.sid);
    assert.match(r.stderr, /2 cookies named session, __Host-session; showing #2 \(__Host-session\)/);
    // Both valid: the first (in the order session, __Host-session, __Secure-session) is shown.
    const both = await inspect(`${header(mine.lines)}; ${header(lua.lines)}`);
    assert.equal(both.report.header?.sid, lua.sid);
    // --cookie-name picks exactly one name.
    assert.equal((await inspect('--cookie-name', '__Host-session', `${header(mine.lines)}; ${header(lua.lines)}`)).report.header?.sid, mine.sid);
  });

  it('--remember finds __Host-remember, and remember', async () => {
    for (const cookie of [undefined, luaRestySessionCookie]) {
      const { lines } = await issue(cookie, { user: 'ada' }, true);
      const name = cookie === undefined ? '__Host-remember' : 'remember';
      assert.ok(cookieValues(lines).has(name));
      const r = await inspect('--remember', '--remember-safety', 'low', header(lines));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.report.valid, true);
    }
  });

  it('no cookie under any default name: a usage error listing them', async () => {
    const r = await inspect('other=1; __host-session=x; xsession=2');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no cookie named "session", "__Host-session" or "__Secure-session" in the Cookie header \(see --cookie-name\)/);
    const named = await inspect('--cookie-name', 'sid', 'session=x');
    assert.equal(named.code, 2);
    assert.match(named.stderr, /no cookie named "sid" in/);
  });

  it('--cookie-name is the full name: no prefix is added to it', async () => {
    const { lines } = await issue({ name: 'sid' });
    assert.ok(lines[0]!.startsWith('__Host-sid='));
    assert.equal((await inspect('--cookie-name', '__Host-sid', header(lines))).code, 0);
    assert.equal((await inspect('--cookie-name', 'sid', header(lines))).code, 2, 'sid is not __Host-sid');
  });
});
