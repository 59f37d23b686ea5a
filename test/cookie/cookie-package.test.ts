/**
 * The `cookie` package (jshttp, v1) as the session uses it: it checks the configured names, Domain and
 * Path (what `cookie` refuses, the options refuse: the CVE-2024-47764 guard), it writes the Domain and
 * Path attributes, and every Set-Cookie line a session writes reads back through its `parseSetCookie` with
 * the configured attributes, holding the same attributes as `cookie`'s own serialization of those fields
 * (only their order differs: lua-resty-session's). And where it cannot serve: `parseCookie` keeps the first
 * of two `session` cookies, while the session opens the authentic second one (checklist case 14).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCookie, parseSetCookie, stringifySetCookie, type SetCookie } from 'cookie';
import { attributeString } from '../../src/cookie/serialize.ts';
import { isCookieName, isDomainValue, isPathValue, scopeAttributes } from '../../src/cookie/grammar.ts';
import { createSessionManager, luaRestySessionCookie, type CookieOptions, type SessionOptions } from '../../src/index.ts';
import { resolveOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { bed, quiet, SECRET, T0 } from '../helpers/session.ts';

/** Whether `cookie` serializes these fields. */
function cookieAccepts(fields: SetCookie): boolean {
  try {
    stringifySetCookie(fields);
    return true;
  } catch {
    return false;
  }
}

/** Whether the options accept this `cookie` option. */
function optionsAccept(cookie: CookieOptions): boolean {
  try {
    resolveOptions({ secret: SECRET, logger: quiet, cookie });
    return true;
  } catch (err) {
    assert.ok(err instanceof TypeError, String(err));
    return false;
  }
}

/** The attributes of a Set-Cookie line, as a sorted list (order aside). */
const attributeSet = (line: string): string[] => line.split('; ').slice(1).sort();

describe('cookie: the configuration is checked by it', () => {
  it('the grammar functions follow cookie.stringifySetCookie', () => {
    for (const name of ['session', 'a;b', 'a=b', 'a b', 'a\r\nb', '', 'sé', 'a"b']) assert.equal(isCookieName(name), name !== '' && cookieAccepts({ name, value: '' }), name);
    for (const domain of ['example.com', '.example.com', 'example.com; Secure', 'a b', '', '-x.com']) {
      assert.equal(isDomainValue(domain), domain !== '' && cookieAccepts({ name: 'n', value: '', domain }), domain);
    }
    for (const path of ['/', '/a=b', '/a;b', '/a\nb', '', '/a b']) assert.equal(isPathValue(path), path !== '' && cookieAccepts({ name: 'n', value: '', path }), path);
  });

  it('a name, Domain or Path that cookie refuses, the options refuse (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '/', ';', '=', ',', ' ', '\r', '\n', '\t', '\0', '"', 'é', '\x7f'), maxLength: 12 });
    fc.assert(
      fc.property(text, (s) => {
        const name = `s${s}`;
        if (!cookieAccepts({ name, value: '' })) assert.equal(optionsAccept({ name }), false, JSON.stringify(name));
        const path = `/${s}`;
        if (!cookieAccepts({ name: 'n', value: '', path })) assert.equal(optionsAccept({ path }), false, JSON.stringify(path));
        const domain = `a${s}.example.com`;
        if (!cookieAccepts({ name: 'n', value: '', domain })) assert.equal(optionsAccept({ domain }), false, JSON.stringify(domain));
      }),
      { numRuns: 500 },
    );
  });

  it('what the options accept, cookie serializes, and the line reads back with exactly those attributes (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '.', '/', '=', '_', '~', '%', '!'), maxLength: 12 });
    fc.assert(
      fc.property(text, (s) => {
        for (const cookie of [{ name: `s${s}` }, { path: `/${s}` }, { domain: `a${s}.example.com` }] as CookieOptions[]) {
          if (!optionsAccept(cookie)) continue;
          const o = resolveOptions({ secret: SECRET, logger: quiet, cookie });
          const parsed = parseSetCookie(`${o.cookieName}=v${o.cookieAttributes}`, { decode: (v) => v });
          assert.equal(parsed.name, o.cookieName);
          assert.equal(parsed.value, 'v');
          assert.equal(parsed.path, o.attributes.path);
          assert.equal(parsed.domain, o.attributes.domain);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('scopeAttributes is cookie.stringifySetCookie of Domain and Path, which lua-resty-session also writes first', () => {
    assert.equal(scopeAttributes(undefined, '/'), '; Path=/');
    assert.equal(scopeAttributes('example.com', '/app'), '; Domain=example.com; Path=/app');
    assert.throws(() => scopeAttributes('example.com; Secure', '/'), TypeError);
    assert.equal(
      attributeString({ domain: 'example.com', path: '/app', sameSite: 'Strict', priority: 'High', partitioned: true, secure: true, httpOnly: true }),
      '; Domain=example.com; Path=/app; SameSite=Strict; Priority=High; Partitioned; Secure; HttpOnly',
    );
  });
});

describe('cookie: every Set-Cookie line a session writes reads back through it', () => {
  const configurations: Array<[string, CookieOptions, Partial<SessionOptions>]> = [
    ['the defaults', {}, {}],
    ["lua-resty-session's", luaRestySessionCookie, {}],
    ['domain, path, priority, partitioned, SameSite=None', { domain: 'example.com', path: '/app', priority: 'High', partitioned: true, sameSite: 'None' }, {}],
    ['SameSite omitted, no HttpOnly', { sameSite: 'Default', httpOnly: false }, {}],
    ['server-side storage (header-only lines)', {}, { storage: memoryStorage() }],
  ];
  for (const [label, cookie, extra] of configurations) {
    it(label, async () => {
      const m = createSessionManager({ secret: SECRET, logger: quiet, now: () => T0, compressionThreshold: 0, remember: true, rememberSafety: 'low', ...extra, cookie: { ...cookie, maxSize: 16384 } });
      const o = m.options;
      const lines: string[] = [];
      const jar = new Map<string, string>();
      /** One request carrying the cookies so far; its Set-Cookie lines are kept. */
      const step = async (fn: (s: Awaited<ReturnType<typeof m.open>>) => Promise<unknown> | unknown): Promise<void> => {
        const headers = new Headers();
        const s = await m.open(new Request('https://example.com/app/', { headers: { cookie: [...jar].map(([n, v]) => `${n}=${v}`).join('; ') } }), headers);
        await fn(s);
        lines.push(...headers.getSetCookie());
        for (const l of headers.getSetCookie()) {
          const [name, value] = l.split(';', 1)[0]!.split('=') as [string, string];
          if (l.includes('Max-Age=0')) jar.delete(name);
          else jar.set(name, value);
        }
      };
      await step(async (s) => {
        s.set('big', 'x'.repeat(5000)); // two chunks with cookie storage
        await s.save();
      });
      await step((s) => s.touch());
      await step((s) => s.destroy());
      // save: session (+ chunk) and remember (+ chunk); touch: the first chunk; destroy: every one expired.
      assert.equal(lines.length, extra.storage === undefined ? 9 : 5, lines.join('\n'));
      for (const line of lines) {
        const parsed = parseSetCookie(line, { decode: (v) => v });
        assert.ok(parsed.name.startsWith(o.cookieName) || parsed.name.startsWith(o.rememberName), parsed.name);
        assert.equal(line.startsWith(`${parsed.name}=${parsed.value};`), true, 'the value is read back as written');
        assert.equal(parsed.path, o.attributes.path);
        assert.equal(parsed.domain, o.attributes.domain);
        assert.equal(parsed.secure, o.attributes.secure || undefined);
        assert.equal(parsed.httpOnly, o.attributes.httpOnly || undefined);
        assert.equal(parsed.partitioned, o.attributes.partitioned || undefined);
        assert.equal(parsed.sameSite, o.attributes.sameSite === 'Default' ? undefined : o.attributes.sameSite.toLowerCase());
        assert.equal(parsed.priority, o.attributes.priority?.toLowerCase());
        // cookie's own serialization of the same fields holds the same attributes (in its order, not Lua's).
        const expires = /Expires=([^;]+)/.exec(line)?.[1];
        const own = stringifySetCookie({ ...parsed, ...(expires === undefined ? {} : { expires: new Date(expires) }) }, { encode: (v) => v });
        assert.deepEqual(attributeSet(line), attributeSet(own), line);
      }
    });
  }
});

describe('cookie: where it cannot serve', () => {
  it("parseCookie keeps the first of two session cookies; the session opens the authentic second one (case 14)", async () => {
    const b = bed();
    const m = b.manager();
    const foreign = bed({ secret: 'another-deployment-secret-0123456789' }).manager();
    const valueOf = async (manager: typeof m, user: string): Promise<string> => {
      const headers = new Headers();
      const s = await manager.open(new Request('http://example.com/'), headers);
      s.set('user', user);
      await s.save();
      return /^session=([^;]*)/.exec(headers.getSetCookie()[0]!)![1]!;
    };
    const tossed = await valueOf(foreign, 'tossed');
    const mine = await valueOf(m, 'ada');
    const header = `session=${tossed}; session=${mine}`;
    assert.equal(parseCookie(header).session, tossed, 'cookie keeps the first');
    const session = await m.open(new Request('http://example.com/', { headers: { cookie: header } }), new Headers());
    assert.equal(session.get('user'), 'ada');
    assert.deepEqual(b.invalid.take().map((e) => e.reason), ['unauthenticated']);
  });
});
