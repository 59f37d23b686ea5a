/**
 * Security checklist section 6, cases 21-25 and 44-46 (encode path and configuration): bad options throw
 * at construction with a TypeError/RangeError naming the option and never containing the secret; the
 * Set-Cookie attributes come out in lua-resty-session's exact order.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, luaRestySessionCookie, type SessionOptions } from '../../src/index.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { LONG_SECRET, quietLogger, vectorCookie, VECTOR_AUDIENCE, VECTOR_CLOCK, VECTOR_SECRET } from '../helpers/http.ts';

const SECRET = 'Zq8-TOP-SECRET-do-not-log-4bY1mWc9Kx2';
const IKM = new Uint8Array(32).fill(0xa7);

/** Builds a manager from options as an untyped caller would pass them. */
function build(options: Record<string, unknown>) {
  return createSessionManager({ logger: quietLogger, ...options } as SessionOptions);
}

/** Asserts that construction throws `type` naming `option` in quotes, without the secret in the message. */
function rejects(options: Record<string, unknown>, type: typeof TypeError | typeof RangeError, option: string): void {
  assert.throws(
    () => build(options),
    (err: unknown) => {
      assert.ok(err instanceof type, `${option}: expected ${type.name}, got ${String(err)}`);
      assert.ok(err.message.includes(`"${option}`), `${option}: message ${JSON.stringify(err.message)} does not name the option`);
      for (const s of [SECRET, Buffer.from(IKM).toString('hex'), Buffer.from(IKM).toString('base64')]) {
        assert.ok(!err.message.includes(s) && !String(err.stack).includes(s), `${option}: the error leaks key material`);
      }
      return true;
    },
    option,
  );
}

/** The Set-Cookie lines of one saved session. */
async function savedLines(options: Partial<SessionOptions>, data: Record<string, unknown> = { a: 1 }): Promise<string[]> {
  const manager = createSessionManager({ secret: LONG_SECRET, logger: quietLogger, ...options });
  const headers = new Headers();
  const session = await manager.open(new Request('https://example.com/'), headers);
  session.setData(data);
  await session.save();
  return headers.getSetCookie();
}

describe('configuration errors name the option and never the secret', () => {
  it('a missing secret (and no ikm) is a TypeError mentioning "secret"; there is no random default', () => {
    for (const secret of [undefined, null, '']) rejects({ secret }, TypeError, 'secret');
    rejects({}, TypeError, 'secret');
    rejects({ secret: 12345 }, TypeError, 'secret');
    rejects({ secret: ['a'] }, TypeError, 'secret');
  });

  it('ikm must be exactly 32 bytes', () => {
    for (const ikm of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), 'x'.repeat(32)]) rejects({ ikm }, RangeError, 'ikm');
    assert.equal(build({ ikm: IKM }).options.audience, 'default');
  });

  it('every ikmFallbacks and secretFallbacks entry is checked', () => {
    rejects({ ikm: IKM, ikmFallbacks: [IKM, new Uint8Array(16)] }, RangeError, 'ikmFallbacks[1]');
    rejects({ secret: SECRET, ikmFallbacks: [new Uint8Array(33)] }, RangeError, 'ikmFallbacks[0]');
    rejects({ secret: SECRET, secretFallbacks: [''] }, TypeError, 'secretFallbacks[0]');
  });

  it('list options given a single value instead of an array name the option', () => {
    rejects({ secret: SECRET, secretFallbacks: `${SECRET}-old` }, TypeError, 'secretFallbacks');
    rejects({ secret: SECRET, ikmFallbacks: IKM }, TypeError, 'ikmFallbacks');
    rejects({ secret: SECRET, bind: 'ip' }, TypeError, 'bind');
    rejects({ secret: SECRET, responseHeaders: 'id' }, TypeError, 'responseHeaders');
    rejects({ secret: SECRET, requestHeaders: 'id' }, TypeError, 'requestHeaders');
  });

  it('__Host- prefix: a domain, a path other than /, or secure false is refused', () => {
    rejects({ secret: SECRET, cookie: { prefix: '__Host-', domain: 'example.com' } }, TypeError, 'cookie.domain');
    rejects({ secret: SECRET, cookie: { prefix: '__Host-', path: '/app' } }, TypeError, 'cookie.path');
    rejects({ secret: SECRET, cookie: { prefix: '__Host-', secure: false } }, TypeError, 'cookie.secure');
    rejects({ secret: SECRET, cookie: { prefix: '__Secure-', secure: false } }, TypeError, 'cookie.secure');
    rejects({ secret: SECRET, cookie: { prefix: '__host-' } }, TypeError, 'cookie.prefix');
  });

  it('SameSite=None and Partitioned require Secure', () => {
    rejects({ secret: SECRET, cookie: { sameSite: 'None', secure: false } }, TypeError, 'cookie.sameSite');
    rejects({ secret: SECRET, cookie: { ...luaRestySessionCookie, sameSite: 'None' } }, TypeError, 'cookie.sameSite');
    rejects({ secret: SECRET, cookie: { partitioned: true, secure: false } }, TypeError, 'cookie.partitioned');
    rejects({ secret: SECRET, cookie: { ...luaRestySessionCookie, partitioned: true } }, TypeError, 'cookie.partitioned');
    rejects({ secret: SECRET, cookie: { sameSite: 'none', secure: true } }, TypeError, 'cookie.sameSite');
    build({ secret: SECRET, cookie: { sameSite: 'None', partitioned: true, secure: true } });
    // Secure is the default, so neither needs it spelled out.
    build({ secret: SECRET, cookie: { sameSite: 'None', partitioned: true } });
  });

  it('cookie names with ; = space CR LF , or other separators are refused (attribute injection)', () => {
    for (const name of ['a; Max-Age=99999; b', 'a;b', 'a=b', 'a b', 'a\rb', 'a\nb', 'a,b', 'a\tb', 'a\0b', '', 'sé', 'a"b', 'x'.repeat(65)]) {
      rejects({ secret: SECRET, cookie: { name } }, TypeError, 'cookie.name');
      rejects({ secret: SECRET, cookie: { rememberName: name } }, TypeError, 'cookie.rememberName');
    }
    rejects({ secret: SECRET, cookie: { name: 'same', rememberName: 'same' } }, TypeError, 'cookie.rememberName');
    // One name the other's chunk: a request's "s2" cookie could not be told apart.
    rejects({ secret: SECRET, cookie: { name: 's', rememberName: 's2' } }, TypeError, 'cookie.rememberName');
    rejects({ secret: SECRET, cookie: { name: 'r9', rememberName: 'r' } }, TypeError, 'cookie.rememberName');
    for (const rememberName of ['s1', 's10', 'sx', 's_remember']) assert.doesNotThrow(() => createSessionManager({ secret: SECRET, cookie: { name: 's', rememberName } }));
  });

  it('paths and domains with ; CR LF or spaces are refused', () => {
    for (const path of ['/a;b', '/a; Domain=evil.com', '/a\r\nSet-Cookie: x=1', '/a\nb', '/a b', 'app', '', '/a,b']) {
      rejects({ secret: SECRET, cookie: { path } }, TypeError, 'cookie.path');
    }
    for (const domain of ['a;b.com', 'example.com; Secure', 'exa mple.com', ' example.com', 'example.com\r\n', 'a,b.com', '']) {
      rejects({ secret: SECRET, cookie: { domain } }, TypeError, 'cookie.domain');
    }
  });

  it('timeouts: negative, NaN, Infinity, non-integer or non-number values are RangeErrors naming the option', () => {
    const names = [
      'idlingTimeout',
      'rollingTimeout',
      'absoluteTimeout',
      'rememberRollingTimeout',
      'rememberAbsoluteTimeout',
      'touchThreshold',
      'staleTtl',
      'compressionThreshold',
    ];
    for (const name of names) {
      for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number('1e400'), 1.5, 2 ** 53, '60']) {
        rejects({ secret: SECRET, [name]: value }, RangeError, name);
      }
      build({ secret: SECRET, [name]: 0 });
    }
    rejects({ secret: SECRET, idlingTimeout: 2 ** 24 }, RangeError, 'idlingTimeout'); // the header field is 3 bytes
  });

  it('unknown rememberSafety, bind target, header property or crypto backend', () => {
    rejects({ secret: SECRET, rememberSafety: 'extreme' }, TypeError, 'rememberSafety');
    rejects({ secret: SECRET, rememberSafety: 'Medium' }, TypeError, 'rememberSafety');
    rejects({ secret: SECRET, bind: ['ip', 'cookie'] }, TypeError, 'bind');
    rejects({ secret: SECRET, bind: ['user-agent'] }, TypeError, 'bind');
    rejects({ secret: SECRET, responseHeaders: ['id', 'Session-Id'] }, TypeError, 'responseHeaders');
    rejects({ secret: SECRET, requestHeaders: ['secret'] }, TypeError, 'requestHeaders');
    rejects({ secret: SECRET, crypto: 'openssl' }, TypeError, 'crypto');
  });

  it('storage must be an object with get, set and delete', () => {
    for (const storage of ['memory', null, 42, {}, { get() {}, set() {} }, { get: 1, set() {}, delete() {} }]) {
      rejects({ secret: SECRET, storage }, TypeError, 'storage');
    }
    build({ secret: SECRET, storage: memoryStorage() });
  });

  it('hooks and booleans of the wrong type are refused', () => {
    rejects({ secret: SECRET, onInvalid: 'log' }, TypeError, 'onInvalid');
    rejects({ secret: SECRET, now: 1700000000 }, TypeError, 'now');
    rejects({ secret: SECRET, remember: 'yes' }, TypeError, 'remember');
    rejects({ secret: SECRET, cookie: { httpOnly: 0 } }, TypeError, 'cookie.httpOnly');
    rejects({ secret: SECRET, audience: '' }, TypeError, 'audience');
  });

  it('manager.options exposes no key material', () => {
    const manager = build({ secret: SECRET, secretFallbacks: [`${SECRET}-old`], ikmFallbacks: [IKM] });
    const text = JSON.stringify(manager.options);
    assert.ok(!text.includes(SECRET));
    assert.ok(!('keys' in manager.options) && !('secret' in manager.options) && !('ikm' in manager.options));
    assert.ok(Object.isFrozen(manager.options));
  });
});

describe('short secrets', () => {
  it('a secret under 32 characters is accepted but warns once per process, without the secret', () => {
    const index = new URL('../../src/index.ts', import.meta.url).href;
    const code = `
      const { createSessionManager } = await import(${JSON.stringify(index)});
      const warnings = [];
      const logger = { warn: (m) => warnings.push(String(m)) };
      createSessionManager({ secret: ${JSON.stringify(LONG_SECRET)}, logger });
      const afterLong = warnings.length;
      createSessionManager({ secret: 'shortSECRET-1', logger });
      createSessionManager({ secret: 'shortSECRET-2', logger });
      console.log(JSON.stringify({ afterLong, warnings }));
    `;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    const { afterLong, warnings } = JSON.parse(out.trim().split('\n').at(-1)!) as { afterLong: number; warnings: string[] };
    assert.equal(afterLong, 0, 'a 32+ character secret does not warn');
    assert.equal(warnings.length, 1, 'one warning per process');
    assert.match(warnings[0]!, /secret/);
    assert.match(warnings[0]!, /32/);
    assert.ok(!warnings[0]!.includes('shortSECRET'), 'the warning leaks the secret');
  });

  it('a short secret still works (the vectors use one)', async () => {
    const manager = createSessionManager({
      secret: VECTOR_SECRET,
      audience: VECTOR_AUDIENCE,
      now: fixedClock(VECTOR_CLOCK).now,
      logger: quietLogger,
      cookie: luaRestySessionCookie,
    });
    const session = await manager.open(new Request('http://example.com/', { headers: { cookie: `session=${vectorCookie('basic')}` } }), new Headers());
    assert.equal(session.isNew, false);
  });
});

describe('crypto backends', () => {
  it("crypto: 'noble' opens lua-resty-session cookies and interoperates with the node backend", async () => {
    const clock = fixedClock(VECTOR_CLOCK);
    const make = (crypto: 'noble' | 'node') =>
      createSessionManager({ secret: VECTOR_SECRET, audience: VECTOR_AUDIENCE, now: clock.now, logger: quietLogger, crypto, cookie: luaRestySessionCookie });
    const noble = make('noble');
    const node = make('node');
    assert.equal(noble.options.crypto, 'noble');
    assert.equal(node.options.crypto, 'node');
    const openWith = async (m: typeof noble, cookie: string) => m.open(new Request('http://example.com/', { headers: { cookie } }), new Headers());
    assert.deepEqual((await openWith(noble, `session=${vectorCookie('basic')}`)).getData(), { quote: 'Lorem ipsum dolor sit amet' });
    const headers = new Headers();
    const s = await noble.open(new Request('http://example.com/'), headers);
    s.set('from', 'noble');
    await s.save();
    const cookie = headers.getSetCookie()[0]!.split(';', 1)[0]!;
    assert.deepEqual((await openWith(node, cookie)).getData(), { from: 'noble' });
    assert.deepEqual((await openWith(noble, cookie)).getData(), { from: 'noble' });
  });
});

describe('Set-Cookie attributes', () => {
  // The library's own defaults (Secure, __Host-) are covered by cookie-defaults.test.ts.
  it("luaRestySessionCookie gives lua-resty-session's defaults: 'session=...; Path=/; SameSite=Lax; HttpOnly', no Expires, no Secure", async () => {
    const lines = await savedLines({ cookie: luaRestySessionCookie });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^session=[A-Za-z0-9_-]{110,}; Path=\/; SameSite=Lax; HttpOnly$/);
  });

  it('every attribute set: Domain; Path; SameSite; Priority; Partitioned; Secure; HttpOnly in that order', async () => {
    const lines = await savedLines({
      cookie: { domain: 'example.com', path: '/app', sameSite: 'Strict', priority: 'High', partitioned: true, secure: true },
    });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.startsWith('__Secure-session='), lines[0]);
    assert.ok(
      lines[0]!.endsWith('; Domain=example.com; Path=/app; SameSite=Strict; Priority=High; Partitioned; Secure; HttpOnly'),
      lines[0],
    );
  });

  it("httpOnly false, sameSite 'Default' and domain 'localhost' omit their attributes", async () => {
    const [line] = await savedLines({ cookie: { ...luaRestySessionCookie, httpOnly: false, sameSite: 'Default', domain: 'localhost' } });
    assert.match(line!, /^session=[A-Za-z0-9_-]+; Path=\/$/);
  });

  it('sameSite None is emitted with Secure', async () => {
    const [line] = await savedLines({ cookie: { sameSite: 'None', secure: true } });
    assert.ok(line!.endsWith('; Path=/; SameSite=None; Secure; HttpOnly'), line);
  });

  it('the __Host- prefix names both cookies __Host-session / __Host-remember, Secure, Path=/, no Domain', async () => {
    const lines = await savedLines({ cookie: { prefix: '__Host-' }, remember: true, rememberSafety: 'low' });
    const names = lines.map((l) => l.slice(0, l.indexOf('=')));
    assert.deepEqual(names.sort(), ['__Host-remember', '__Host-session']);
    for (const line of lines) {
      assert.match(line, /; Path=\/; SameSite=Lax; Secure; HttpOnly(; |$)/);
      assert.ok(!/Domain=/i.test(line));
    }
    const manager = createSessionManager({ secret: LONG_SECRET, cookie: { prefix: '__Host-' }, logger: quietLogger });
    assert.equal(manager.options.cookieName, '__Host-session');
    assert.equal(manager.options.rememberName, '__Host-remember');
  });

  it('the __Secure- prefix keeps a domain and forces Secure', async () => {
    const [line] = await savedLines({ cookie: { prefix: '__Secure-', domain: 'example.com' } });
    assert.ok(line!.startsWith('__Secure-session='));
    assert.ok(line!.endsWith('; Domain=example.com; Path=/; SameSite=Lax; Secure; HttpOnly'), line);
  });

  it('a custom cookie name is used verbatim after the prefix, and a saved session opens under it', async () => {
    for (const [cookie, name] of [
      [{ name: 'sid' }, '__Host-sid'],
      [{ name: 'sid', prefix: '' }, 'sid'],
      [{ ...luaRestySessionCookie, name: 'sid' }, 'sid'],
    ] as const) {
      const manager = createSessionManager({ secret: LONG_SECRET, cookie, logger: quietLogger });
      assert.equal(manager.options.cookieName, name);
      const headers = new Headers();
      const s = await manager.open(new Request('http://example.com/'), headers);
      s.set('n', 1);
      await s.save();
      const line = headers.getSetCookie()[0]!;
      assert.ok(line.startsWith(`${name}=`), line);
      const again = await manager.open(new Request('http://example.com/', { headers: { cookie: line.split(';', 1)[0]! } }), new Headers());
      assert.deepEqual(again.getData(), { n: 1 });
    }
  });
});
