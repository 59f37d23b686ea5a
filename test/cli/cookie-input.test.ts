/**
 * `httpsession inspect` reading COOKIE arguments a new user pastes: a value with `=` padding, a
 * `Set-Cookie` line, a value with a leading `=`, a header whose session cookie goes by another name. Each
 * is either judged as a cookie (the JSON verdict, exit 0 or 1, with a note saying how it was read) or
 * refused (exit 2) with a message saying what it was read as and why it does not do, never echoing a
 * value. And `--remember-safety` in lua-resty-session's spellings.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, type RememberSafety } from '../../src/index.ts';
import { runCli } from '../helpers/cli.ts';
import { cookieValues, joinedCookie, vector, vectorFile } from '../helpers/vectors.ts';

const SECRET = vectorFile.secret;
const NOW = '1700000100';
const basic = joinedCookie(vector('basic').response!.set_cookie!);

const run = runCli;

const inspect = (...args: string[]) => run('inspect', '--secret', SECRET, '--now', NOW, ...args);

describe('inspect: COOKIE arguments containing "="', () => {
  it('a value with base64 padding is judged as a cookie: malformed, exit 1, with a note', async () => {
    const r = await inspect(`${basic}==`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.report.valid, false);
    assert.equal(r.report.reason, 'malformed');
    assert.equal(r.report.detail, 'invalid session payload');
    // Its header is the real one: the verdict says what was read.
    assert.equal(r.report.header?.sid, vector('basic').decoded!.sid_b64url);
    assert.match(r.stderr, /^note: COOKIE ends in '=': read as one cookie value with base64 padding/m);
    assert.ok(!r.stderr.includes(basic), 'the value is not echoed');
  });

  it('a short padded value: malformed with no header, exit 1', async () => {
    const r = await inspect('AQAA==');
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'malformed');
    assert.equal(r.report.detail, 'invalid session header');
    assert.equal(r.report.header, null);
  });

  it('a padded value inside a Cookie header: malformed, with a note about the padding', async () => {
    const r = await inspect(`Cookie: session=${basic}=`);
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'malformed');
    assert.match(r.stderr, /the cookie value ends in '='/);
  });

  it('a Set-Cookie line: its cookie is inspected, the attributes ignored', async () => {
    const r = await inspect(`Set-Cookie: session=${basic}; Path=/; SameSite=Lax; HttpOnly`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.valid, true);
    assert.match(r.stderr, /note: read COOKIE as a Set-Cookie line: the cookie "session", its attributes ignored/);
  });

  it('the first chunk of a chunked cookie as a Set-Cookie line: missing-chunk, with the hint', async () => {
    const first = cookieValues(vector('chunked').response!.set_cookie!).get('session')!;
    const r = await run('inspect', '--secret', SECRET, '--now', '1700000000', `Set-Cookie: session=${first}; Path=/`);
    assert.equal(r.code, 1);
    assert.equal(r.report.reason, 'missing-chunk');
    assert.match(r.stderr, /the cookie is chunked: pass the whole Cookie header/);
  });

  it('a value after a bare "=" is read as the value', async () => {
    const r = await inspect(`=${basic}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /COOKIE starts with '='/);
  });

  it("without --cookie-name, a header's only session cookie under another name is inspected under that name", async () => {
    const r = await inspect(`theme=dark; sid=${basic}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.report.header?.sid, vector('basic').decoded!.sid_b64url);
    assert.match(r.stderr, /no cookie named "session", "__Host-session" or "__Secure-session"; inspecting "sid", which holds a session cookie/);
  });

  it('with --cookie-name, another name is refused (exit 2), naming the cookie that holds a session cookie', async () => {
    const r = await inspect('--cookie-name', 'app', `theme=dark; sid=${basic}`);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const [first] = r.stderr.split('\n');
    assert.equal(
      first,
      'httpsession: inspect: no cookie named "app" in the Cookie header (see --cookie-name); COOKIE was read as the Cookie header holding the cookies "theme", "sid"; "sid" holds a session cookie: pass --cookie-name',
    );
  });

  it('a header without the cookie: refused with what it was read as, never a value', async () => {
    const r = await inspect('Cookie: theme=dark; __host-session=s3cr3tvalue');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const [first] = r.stderr.split('\n');
    assert.match(first!, /^httpsession: inspect: no cookie named "session", "__Host-session" or "__Secure-session" in the Cookie header \(see --cookie-name\)/);
    assert.match(first!, /COOKIE was read as the Cookie header holding the cookies "theme", "__host-session"/);
    assert.match(first!, /names match exactly: "__host-session" is not "__Host-session"/);
    assert.ok(!r.stderr.includes('s3cr3tvalue') && !r.stderr.includes('dark'));
  });

  it('a Set-Cookie line of another cookie, a header of no pairs, many names: refused, saying so', async () => {
    const line = await inspect('Set-Cookie: theme=dark; Path=/');
    assert.equal(line.code, 2);
    assert.match(line.stderr, /in the Set-Cookie line \(see --cookie-name\); COOKIE was read as the Set-Cookie line holding the cookie "theme"/);
    const empty = await inspect(';;;');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /COOKIE was read as the Cookie header, and it holds no name=value pair/);
    const many = await inspect(Array.from({ length: 9 }, (_, i) => `${'n'.repeat(50)}${i}=1`).join('; '));
    assert.equal(many.code, 2);
    assert.match(many.stderr, /"n{40}\.\.\.", .* and 3 more/);
  });
});

describe('inspect: --remember-safety spellings', () => {
  /** A remember cookie issued by a manager of that safety level. */
  async function rememberCookie(rememberSafety: RememberSafety): Promise<string> {
    const manager = createSessionManager({ secret: SECRET, now: () => 1_700_000_000, remember: true, rememberSafety, logger: { warn: () => {} } });
    const headers = new Headers();
    const session = await manager.open(new Request('https://example.com/'), headers);
    session.set('user', 'ada');
    await session.save();
    return joinedCookie(headers.getSetCookie(), '__Host-remember');
  }

  for (const [spelling, level] of [
    ['Very High', 'very-high'],
    ['very_high', 'very-high'],
    ['HIGH', 'high'],
    ['Medium', 'medium'],
    ['None', 'none'],
  ] as const) {
    it(`"${spelling}" reads a ${level} remember cookie`, async () => {
      const r = await inspect('--remember', '--remember-safety', spelling, await rememberCookie(level));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.report.valid, true);
    });
  }

  it('an unknown level is a usage error naming both spellings', async () => {
    const r = await inspect('--remember', '--remember-safety', 'Extreme', basic);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--remember-safety expects one of none, low, medium, high, very-high \(or lua-resty-session's None, Low, Medium, High, Very High; any case\)/);
  });
});
