/**
 * Security checklist section 6, cases 21-25 (serialization and configuration, the encode path): no
 * emitted Set-Cookie line exceeds 4096 bytes, oversize data is a typed SESSION_TOO_LARGE, injection
 * through cookie options and invalid attribute combinations throw at construction naming the option,
 * one Set-Cookie per name with `Cache-Control: no-store`, and lifetimes capped at 400 days.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSessionError } from '../../../src/errors.ts';
import { createSessionManager } from '../../../src/manager.ts';
import type { SessionOptions } from '../../../src/options.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import { bed, COOKIE, cookieHeaderOf, isDeletion, nameOf, quiet, REMEMBER, SECRET, T0, visit, visitNode, type Manager, type Visit } from './support.ts';

const MAX_AGE_LIMIT = 34_560_000; // 400 days
const lineBytes = (line: string): number => Buffer.byteLength(line);
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Builds a manager from options as an untyped caller could pass them. */
const build = (options: Record<string, unknown>): Manager => createSessionManager({ secret: SECRET, logger: quiet, ...options } as SessionOptions);

/** Construction throws `type` whose message names `option` in quotes. */
function refuses(options: Record<string, unknown>, type: typeof TypeError | typeof RangeError, option: string): void {
  assert.throws(() => build(options), (err: unknown) => {
    assert.ok(err instanceof type, `${option}: expected ${type.name}, got ${String(err)}`);
    assert.ok(err.message.includes(`"${option}"`), `${option}: ${JSON.stringify(err.message)} does not name it`);
    return true;
  });
}

/** Saves `data` in a new session; returns the visit (its lines) or the error the save threw. */
async function saveNew(m: Manager, data: Record<string, unknown>): Promise<Visit | Error> {
  const v = await visit(m);
  v.session.setData(data);
  try {
    await v.session.save();
    return v;
  } catch (err) {
    return err as Error;
  }
}

/** One Set-Cookie per name, and no attribute repeated within a line. */
function assertOnePerName(lines: readonly string[], label: string): void {
  const names = lines.map(nameOf);
  assert.equal(new Set(names).size, names.length, `${label}: duplicate Set-Cookie names ${JSON.stringify(names)}`);
  for (const line of lines) {
    const attributes = line.split('; ').slice(1).map((a) => a.split('=', 1)[0]!.toLowerCase());
    assert.equal(new Set(attributes).size, attributes.length, `${label}: repeated attribute in ${line.slice(-120)}`);
  }
}

describe('security checklist 6, cases 21-25: serialization and configuration', () => {
  it('case 21: no emitted Set-Cookie line exceeds 4096 bytes (attributes included), up to 9 chunks; beyond → SESSION_TOO_LARGE', async () => {
    const long = 'n'.repeat(64); // the longest name accepted, under the __Host- prefix
    // The largest budget (nine full cookies), so that the sweep reaches nine chunks.
    const budget = 36_864;
    const configs: Array<[string, SessionOptions]> = [
      ['default names', { cookie: { maxSize: budget } }],
      ['64-character names', { cookie: { name: long, rememberName: `${long.slice(0, 63)}r`, maxSize: budget } }],
      ['remember cookies', { remember: true, rememberSafety: 'none', cookie: { maxSize: budget } }],
      ['long names + remember', { remember: true, rememberSafety: 'none', cookie: { name: long, rememberName: `r${long.slice(1)}`, maxSize: budget } }],
      ['a long path and domain', { cookie: { path: `/${'p'.repeat(1000)}`, domain: `${'d'.repeat(60)}.example.com`, maxSize: budget } }],
      ['server-side storage', { storage: memoryStorage({ maxEntries: 100 }), remember: true, rememberSafety: 'none' }],
      ['the default budget', {}],
    ];
    for (const [label, options] of configs) {
      const m = bed({ compressionThreshold: 0, ...options }).manager();
      let chunks = 0;
      let lines = 0;
      const sizes = [...Array.from({ length: 120 }, (_, i) => 2900 + i), ...Array.from({ length: 400 }, (_, i) => i * 97)];
      for (const size of sizes.sort((a, b) => a - b)) {
        const result = await saveNew(m, { d: 'x'.repeat(size) });
        if (result instanceof Error) {
          assert.ok(isSessionError(result, 'SESSION_TOO_LARGE'), `${label} @${size}: ${String(result)}`);
          break;
        }
        for (const line of result.lines()) assert.ok(lineBytes(line) <= 4096, `${label} @${size}: ${nameOf(line)} has ${lineBytes(line)} bytes`);
        const touched = result.session.touch();
        assert.equal(touched, true);
        for (const line of result.lines()) assert.ok(lineBytes(line) <= 4096, `${label} @${size} touched`);
        const name = options.cookie?.name ? `__Host-${long}` : options.cookie?.path ? `__Secure-session` : COOKIE;
        chunks = Math.max(chunks, result.lines().filter((l) => nameOf(l).startsWith(name)).length);
        lines += result.lines().length;
      }
      assert.ok(lines > (options.cookie === undefined ? 50 : 100), `${label}: checked ${lines} Set-Cookie lines`);
      // With remember-me the budget holds both cookies, so each gets about half of it.
      const expected = options.storage !== undefined ? 1 : options.cookie?.maxSize === undefined ? 2 : options.remember ? 5 : 9;
      assert.equal(chunks, expected, `${label}: the sweep reached the largest cookie`);
    }
    // Oversize data: a typed error, and nothing is written.
    for (const options of [{}, { remember: true, rememberSafety: 'none' as const }]) {
      const v = await visit(bed({ compressionThreshold: 0, ...options }).manager());
      v.session.set('d', 'x'.repeat(40_000));
      await assert.rejects(v.session.save(), (err: unknown) => isSessionError(err, 'SESSION_TOO_LARGE') && !err.message.includes('xxxx'));
      assert.deepEqual(v.lines(), []);
    }
  });

  it('case 22: cookie name/path/domain with ; = , space CR LF or CTLs → TypeError at construction', () => {
    const bad = [';', '=', ',', ' ', '\r', '\n', '\t', '\0', '\x7f', '\x01'];
    for (const c of bad) {
      refuses({ cookie: { name: `a${c}b` } }, TypeError, 'cookie.name');
      refuses({ cookie: { rememberName: `a${c}b` } }, TypeError, 'cookie.rememberName');
      // ('=' is legal inside a path value: `Path=/a=b` cannot start another attribute.)
      if (c !== '=') refuses({ cookie: { path: `/a${c}b` } }, TypeError, 'cookie.path');
      refuses({ cookie: { domain: `a${c}b.example.com`, prefix: '__Secure-' } }, TypeError, 'cookie.domain');
    }
    refuses({ cookie: { name: 'a; Max-Age=99999; b' } }, TypeError, 'cookie.name');
    refuses({ cookie: { path: '/; Domain=evil.example' } }, TypeError, 'cookie.path');
    refuses({ cookie: { path: '/x\r\nSet-Cookie: admin=1' } }, TypeError, 'cookie.path');
    refuses({ cookie: { domain: 'example.com; Secure' } }, TypeError, 'cookie.domain');
    assert.equal(build({ cookie: { name: 'sid-1.x' } }).options.cookieName, '__Host-sid-1.x', 'a valid token is accepted');
  });

  it('case 23: double save / double destroy → one Set-Cookie per name, Cache-Control: no-store (unless opted out)', async () => {
    const data = { d: 'y'.repeat(5000) }; // two chunks per cookie
    for (const transport of [visit, visitNode]) {
      for (const cacheControl of [true, false]) {
        const m = bed({ compressionThreshold: 0, remember: true, rememberSafety: 'none', cacheControl, cookie: { maxSize: 36_864 } }).manager();
        const label = `${transport.name} cacheControl ${cacheControl}`;
        const v = await transport(m);
        v.session.setData(data);
        await v.session.save();
        v.session.set('n', 2);
        await v.session.save();
        v.session.touch();
        await v.session.regenerate();
        assertOnePerName(v.lines(), `${label}: save, save, touch, regenerate`);
        assert.deepEqual(v.lines().map(nameOf).sort(), [COOKIE, `${COOKIE}2`, REMEMBER, `${REMEMBER}2`].sort());
        assert.equal(v.header('cache-control'), cacheControl ? 'no-store' : undefined, label);

        const d = await transport(m, cookieHeaderOf(v.lines()));
        assert.equal(d.header('cache-control'), undefined, 'opening alone sets nothing');
        d.session.set('n', 3);
        await d.session.save();
        await d.session.destroy();
        await assert.rejects(d.session.destroy(), (err: unknown) => isSessionError(err, 'SESSION_CLOSED'));
        assertOnePerName(d.lines(), `${label}: save, destroy, destroy`);
        assert.ok(d.lines().every(isDeletion), 'the last word for every name is its deletion');
        assert.equal(d.lines().length, 4);
        assert.equal(d.header('cache-control'), cacheControl ? 'no-store' : undefined, label);
      }
    }
  });

  it('case 24: __Host- with Domain / Path≠/ / no Secure, SameSite=None or Partitioned without Secure → init error', () => {
    const table: Array<[Record<string, unknown>, string]> = [
      [{ prefix: '__Host-', domain: 'example.com' }, 'cookie.domain'],
      [{ prefix: '__Host-', path: '/app' }, 'cookie.path'],
      [{ prefix: '__Host-', secure: false }, 'cookie.secure'],
      [{ prefix: '__Secure-', secure: false }, 'cookie.secure'],
      [{ sameSite: 'None', secure: false }, 'cookie.sameSite'],
      [{ prefix: '', sameSite: 'None', secure: false }, 'cookie.sameSite'],
      [{ partitioned: true, secure: false }, 'cookie.partitioned'],
      [{ prefix: '__HOST-' }, 'cookie.prefix'],
      [{ sameSite: 'none' }, 'cookie.sameSite'],
    ];
    for (const [cookie, option] of table) refuses({ cookie }, TypeError, option);
    // Without an explicit prefix, a domain or a path picks __Secure- (still Secure) rather than failing.
    const m = build({ cookie: { domain: 'example.com', path: '/app' } });
    assert.equal(m.options.cookieName, '__Secure-session');
    assert.equal(m.options.attributes.secure, true);
  });

  it('case 25: remember lifetimes > 400 days, negative, NaN, Infinity or fractional → RangeError; Max-Age ≤ 34560000', async () => {
    for (const option of ['rememberRollingTimeout', 'rememberAbsoluteTimeout']) {
      for (const value of [MAX_AGE_LIMIT + 1, 2 ** 32, -1, Number.NaN, Number.POSITIVE_INFINITY, Number('1e400'), 1.5, '60']) {
        refuses({ [option]: value }, RangeError, option);
      }
      assert.equal(build({ [option]: MAX_AGE_LIMIT }).options.rememberTimeouts[option === 'rememberRollingTimeout' ? 'rolling' : 'absolute'], MAX_AGE_LIMIT);
    }
    const pairs: Array<[number, number]> = [[MAX_AGE_LIMIT, MAX_AGE_LIMIT], [0, 0], [0, MAX_AGE_LIMIT], [MAX_AGE_LIMIT, 0], [604_800, 2_592_000], [100, 50]];
    for (const [rolling, absolute] of pairs) {
      const b = bed({ remember: true, rememberSafety: 'none', rememberRollingTimeout: rolling, rememberAbsoluteTimeout: absolute });
      const m = b.manager();
      let cookie: string | undefined;
      for (const age of [0, 40, 86_400]) {
        b.clock.set(T0 + age);
        const v = await visit(m, cookie);
        v.session.set('age', age);
        await v.session.save();
        cookie = v.cookie();
        const line = v.lines().find((l) => nameOf(l) === REMEMBER);
        const session = v.lines().find((l) => nameOf(l) === COOKIE)!;
        assert.ok(!/Max-Age|Expires/i.test(session), 'the session cookie itself is a browser-session cookie');
        if (line === undefined) {
          assert.ok(absolute > 0 && age > absolute, 'the remember cookie is only gone past its absolute limit');
          continue;
        }
        const maxAge = Number(/; Max-Age=(\d+)(;|$)/.exec(line)![1]);
        const expires = /; Expires=([^;]+)/.exec(line)![1]!;
        assert.ok(Number.isInteger(maxAge) && maxAge >= 1 && maxAge <= MAX_AGE_LIMIT, `Max-Age ${maxAge}`);
        if (rolling > 0) assert.ok(maxAge <= rolling);
        assert.match(expires, HTTP_DATE);
        assert.equal(Date.parse(expires) / 1000, T0 + age + maxAge, 'Expires and Max-Age agree');
      }
    }
  });
});
