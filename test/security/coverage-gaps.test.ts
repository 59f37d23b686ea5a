/**
 * Behaviour the rest of the suite did not exercise, found by the coverage floor (`npm test` runs under c8
 * with 95 % lines per file on src/codec, src/session.ts and src/reader.ts):
 *
 * - the public `httpsession/codec` entry point, as an interoperability tool: a cookie sealed with the codec
 *   alone opens in a manager, and a manager's cookie opens, re-touches and rejects tampering with it;
 * - the bounded LRU cache under the hot-path caches: recency, both bounds, weight accounting, clear;
 * - a server-side store that returns garbage or a record of another session, or fails (checklist 37, 38);
 * - per-session rolling and absolute timeouts (`setRollingTimeout`, `setAbsoluteTimeout`);
 * - the verified-cookie and derived-key caches: a hit never skips the payload, binding, kind or timeout
 *   checks, failures are never cached, and clearing them changes no result.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as codec from '../../src/codec/index.ts';
import { BoundedCache } from '../../src/codec/cache.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { resolveOptions } from '../../src/options.ts';
import { cachedCookieCount, cacheOpenedCookie, clearCookieCache, openCookie, type OpenContext } from '../../src/reader.ts';
import { isSessionError, type InvalidCookie } from '../../src/errors.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { fixedClock, sequenceRandom, type FixedClock } from '../../src/testing/index.ts';

const SECRET = 'coverage-gaps-secret-0123456789abcdefgh';
const T0 = 1_700_000_000;
const URL_ = 'http://gaps.test/';

interface Bed {
  readonly clock: FixedClock;
  readonly events: InvalidCookie[];
  readonly manager: SessionManager;
  /** Opens a request carrying `cookie`; returns the session and the Set-Cookie pairs it wrote. */
  open(cookie?: string): Promise<{ session: Awaited<ReturnType<SessionManager['open']>>; headers: Headers }>;
  /** The `name=value` pairs of live cookies among Set-Cookie lines, as a Cookie header. */
  cookieOf(headers: Headers): string;
}

function bed(extra: SessionOptions = {}): Bed {
  const clock = fixedClock(T0);
  const events: InvalidCookie[] = [];
  const manager = createSessionManager({
    secret: SECRET,
    now: clock.now,
    randomBytes: sequenceRandom(5),
    logger: { warn() {} },
    cookie: { name: 'session', rememberName: 'remember', secure: false },
    onInvalid: (e) => void events.push(e),
    ...extra,
  });
  return {
    clock,
    events,
    manager,
    async open(cookie) {
      const headers = new Headers();
      const session = await manager.open(new Request(URL_, cookie === undefined ? {} : { headers: { cookie } }), headers);
      return { session, headers };
    },
    cookieOf(headers) {
      return headers
        .getSetCookie()
        .filter((l) => !/;\s*Max-Age=0(;|$)/.test(l))
        .map((l) => l.split(';', 1)[0]!)
        .join('; ');
    },
  };
}

// ------------------------------------------------------------------------------------------ codec

describe('the httpsession/codec entry point interoperates with the manager', () => {
  const crypto = codec.defaultCrypto();
  const material = codec.keyMaterial(crypto, codec.ikmFromSecret(crypto, SECRET));

  it('a cookie sealed with the codec alone opens in a manager with the same secret', async () => {
    const sid = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    const entries: codec.SessionEntry[] = [{ data: { cart: [1, 2, 3], note: 'sealed by hand' }, audience: 'default', subject: 'sam' }];
    const { bytes, deflated } = codec.encodePayload(entries, 0);
    assert.equal(deflated, false, 'threshold 0 never deflates');
    const sealed = codec.seal(
      crypto,
      { flags: 0, sid, creationTime: T0 - 30, rollingOffset: 0, idlingOffset: 10, plaintext: bytes },
      codec.deriveEncryptionKey(crypto, material, sid),
      codec.deriveMacKey(crypto, material, sid),
    );
    const text = codec.sealedText(sealed);
    assert.equal(text.header.length, codec.HEADER_TEXT_SIZE);
    assert.equal(sealed.header.length, codec.HEADER_SIZE);
    assert.equal(text.payload.length, codec.encodedLength(bytes.length));
    const fields = codec.readHeader(codec.base64urlDecode(text.header)!);
    assert.equal(fields.creationTime, T0 - 30);
    assert.equal(fields.idlingOffset, 10);
    assert.equal(fields.dataSize, text.payload.length);

    const b = bed();
    const { session } = await b.open(`session=${text.header}${text.payload}`);
    assert.deepEqual(b.events, []);
    assert.equal(session.isNew, false);
    assert.deepEqual(session.getData(), { cart: [1, 2, 3], note: 'sealed by hand' });
    assert.equal(session.subject, 'sam');
    assert.equal(session.id, codec.base64urlEncode(sid));
    assert.equal(session.creationTime, T0 - 30);
    assert.equal(session.lastAccessedTime, T0 - 20);
  });

  it("a manager's cookie opens with the codec; tampering, a foreign key and a client binding are refused", async () => {
    const b = bed({ compressionThreshold: 16 });
    const first = await b.open();
    first.session.set('profile', { name: 'ada', bio: 'x'.repeat(200) });
    first.session.setSubject('ada');
    await first.session.save();
    const value = b.cookieOf(first.headers).slice('session='.length);

    const header = codec.parseHeader(value);
    assert.ok(header !== null);
    assert.equal(header.flags & codec.Flags.deflate, codec.Flags.deflate, 'above the threshold: deflated');
    assert.equal(header.flags & codec.Flags.storage, 0);
    const macKey = codec.deriveMacKey(crypto, material, header.sid);
    assert.equal(codec.verifyMac(crypto, header, macKey), true);
    const payload = value.slice(codec.HEADER_TEXT_SIZE);
    const plaintext = codec.openPayload(crypto, header, payload, codec.deriveEncryptionKey(crypto, material, header.sid));
    assert.ok(plaintext !== null);
    assert.deepEqual(codec.decodePayload(plaintext, true, codec.Limits.dataSize), [
      { data: { profile: { name: 'ada', bio: 'x'.repeat(200) } }, audience: 'default', subject: 'ada' },
    ]);

    // The pure-JS backend agrees with node:crypto on the very same cookie.
    const noble = codec.keyMaterial(codec.nobleCrypto, codec.ikmFromSecret(codec.nobleCrypto, SECRET));
    assert.deepEqual(
      codec.openPayload(codec.nobleCrypto, header, payload, codec.deriveEncryptionKey(codec.nobleCrypto, noble, header.sid)),
      plaintext,
    );

    // Another secret: the MAC fails; one flipped ciphertext character: the GCM tag fails.
    const foreign = codec.keyMaterial(crypto, codec.ikmFromSecret(crypto, `${SECRET}-other`));
    assert.equal(codec.verifyMac(crypto, header, codec.deriveMacKey(crypto, foreign, header.sid)), false);
    const flipped = (payload[0] === 'A' ? 'B' : 'A') + payload.slice(1);
    assert.equal(codec.openPayload(crypto, header, flipped, codec.deriveEncryptionKey(crypto, material, header.sid)), null);
    assert.equal(codec.openPayload(crypto, header, payload.slice(1), codec.deriveEncryptionKey(crypto, material, header.sid)), null);

    // A MAC bound to a User-Agent does not verify without it, nor with another one.
    const ua = codec.bindDigest(crypto, [undefined, undefined, 'agent/1']);
    assert.ok(ua !== undefined && ua.length === 33);
    assert.equal(codec.bindDigest(crypto, [undefined, '', undefined]), undefined, 'empty values bind nothing');
    const boundHeader = codec.retouch(crypto, header.bytes, 5, macKey, ua);
    const bound = codec.parseHeader(codec.base64urlEncode(boundHeader) + payload)!;
    assert.equal(codec.verifyMac(crypto, bound, macKey, ua), true);
    assert.equal(codec.verifyMac(crypto, bound, macKey), false);
    assert.equal(codec.verifyMac(crypto, bound, macKey, codec.bindDigest(crypto, [undefined, undefined, 'agent/2'])), false);
    assert.deepEqual(codec.computeMac(crypto, macKey, boundHeader, ua), bound.mac);
  });

  it('retouch moves only the idling offset, and the manager accepts the retouched header', async () => {
    const b = bed();
    const first = await b.open();
    first.session.set('n', 1);
    await first.session.save();
    const value = b.cookieOf(first.headers).slice('session='.length);
    const header = codec.parseHeader(value)!;
    const macKey = codec.deriveMacKey(crypto, material, header.sid);

    b.clock.advance(120);
    const touched = codec.retouch(crypto, header.bytes, 120, macKey);
    const parsed = codec.parseHeader(codec.base64urlEncode(touched) + value.slice(codec.HEADER_TEXT_SIZE))!;
    assert.equal(parsed.idlingOffset, 120);
    assert.deepEqual(parsed.tag, header.tag, 'the ciphertext and its tag are untouched');
    assert.deepEqual(parsed.sid, header.sid);

    const { session } = await b.open(`session=${codec.base64urlEncode(touched)}${value.slice(codec.HEADER_TEXT_SIZE)}`);
    assert.deepEqual(b.events, []);
    assert.equal(session.get('n'), 1);
    assert.equal(session.lastAccessedTime, T0 + 120);

    // A negative offset is clamped to 0, one past the 3-byte field to its maximum.
    assert.equal(codec.readHeader(codec.retouch(crypto, header.bytes, -5, macKey)).idlingOffset, 0);
    assert.equal(codec.readHeader(codec.retouch(crypto, header.bytes, 2 ** 30, macKey)).idlingOffset, codec.Limits.idlingOffset);
  });

  it('the remember key derivation: HKDF at safety none, PBKDF2 otherwise, identical across backends', async () => {
    const sid = new Uint8Array(32).fill(7);
    assert.deepEqual(await codec.deriveRememberKey(crypto, material, sid, 'none'), codec.deriveEncryptionKey(crypto, material, sid));
    assert.equal(codec.REMEMBER_ITERATIONS.low, 1000);
    const native = await codec.deriveRememberKey(crypto, material, sid, 'low');
    const noble = await codec.deriveRememberKey(codec.nobleCrypto, codec.keyMaterial(codec.nobleCrypto, material.ikm), sid, 'low');
    assert.deepEqual(native, noble);
    assert.notDeepEqual(native.key, codec.deriveEncryptionKey(crypto, material, sid).key);
    assert.equal(native.key.length, 32);
    assert.equal(native.iv.length, 12);
  });

  it('derived keys handed out are copies: changing one never changes what the next caller gets', () => {
    const sid = new Uint8Array(32).fill(9);
    const mac = codec.deriveMacKey(crypto, material, sid);
    const enc = codec.deriveEncryptionKey(crypto, material, sid);
    const expected = { mac: mac.slice(), key: enc.key.slice(), iv: enc.iv.slice() };
    for (let round = 0; round < 2; round++) {
      const m = codec.deriveMacKey(crypto, material, sid);
      const e = codec.deriveEncryptionKey(crypto, material, sid);
      assert.deepEqual(m, expected.mac);
      assert.deepEqual(e.key, expected.key);
      assert.deepEqual(e.iv, expected.iv);
      m.fill(0);
      e.key.fill(0);
      e.iv.fill(0);
    }
    mac.fill(1);
    enc.key.fill(1);
    assert.deepEqual(codec.deriveMacKey(crypto, material, sid), expected.mac);
    assert.deepEqual(codec.deriveEncryptionKey(crypto, material, sid).key, expected.key);
    // A 33-byte id (never one of ours) still derives, and differently.
    assert.notDeepEqual(codec.deriveMacKey(crypto, material, new Uint8Array(33).fill(9)), expected.mac);
  });
});

// ------------------------------------------------------------------------------------------ cache

describe('BoundedCache', () => {
  it('evicts the least recently used entry; a hit makes an entry the most recent', () => {
    const cache = new BoundedCache<string>({ maxEntries: 2 });
    assert.equal(cache.set('a', 'A'), true);
    cache.set('b', 'B');
    assert.equal(cache.get('a'), 'A');
    cache.set('c', 'C');
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.equal(cache.get('a'), 'A');
    assert.equal(cache.get('c'), 'C');
    assert.equal(cache.size, 2);
    cache.set('a', 'A2');
    assert.equal(cache.size, 2, 'replacing a key does not grow the cache');
    assert.equal(cache.get('a'), 'A2');
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.size, 1);
  });

  it('bounds the total weight, refuses entries heavier than an eighth of it, and keeps the weight exact', () => {
    const cache = new BoundedCache<string>({ maxEntries: 100, maxWeight: 80, weigh: (k, v) => k.length + v.length });
    assert.equal(cache.weight, 0);
    assert.equal(cache.set('k', 'x'.repeat(10)), false, 'weight 11 > 80 / 8');
    assert.equal(cache.size, 0);
    for (let i = 0; i < 10; i++) assert.equal(cache.set(`k${i}`, 'v'.repeat(8)), true); // weight 10 each
    assert.equal(cache.weight, 80);
    assert.equal(cache.size, 8, 'the two oldest were evicted to stay within 80');
    assert.equal(cache.get('k0'), undefined);
    assert.equal(cache.get('k1'), undefined);
    cache.set('k9', 'v'); // replaced: weight 10 -> 3
    assert.equal(cache.weight, 73);
    cache.delete('k5');
    assert.equal(cache.weight, 63);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.weight, 0);
    assert.equal(cache.get('k9'), undefined);
    assert.equal(cache.set('again', 'ok'), true, 'usable after clear');
    assert.equal(cache.weight, 7);
  });

  it('refuses nonsensical limits', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new BoundedCache({ maxEntries }), RangeError, String(maxEntries));
    }
    for (const maxWeight of [0, -1, Number.NaN]) {
      assert.throws(() => new BoundedCache({ maxEntries: 1, maxWeight }), RangeError, String(maxWeight));
    }
  });
});

// ------------------------------------------------------------------------------------------ store faults

/** A memory store whose `get` is replaced. */
function faultyStore(get: (inner: Storage, namespace: string, key: string, now: number) => Promise<string | null>): Storage {
  const inner = memoryStorage();
  return {
    name: 'faulty',
    set: (input) => inner.set(input),
    get: (namespace, key, now) => get(inner, namespace, key, now),
    delete: (namespace, key, now, metadata) => inner.delete(namespace, key, now, metadata),
  };
}

describe('server-side records: garbage, another session, or a failing store (checklist 37, 38)', () => {
  it('a record that is not ["<ciphertext>"] yields no session with reason malformed', async () => {
    for (const garbage of ['not json', '{"a":1}', '[1]', '[]', 'null', '""', '[{"x":"y"}]', '[']) {
      const b = bed({ storage: faultyStore(async () => garbage) });
      const saver = bed({ storage: memoryStorage() });
      const first = await saver.open();
      first.session.set('k', 'v');
      await first.session.save();
      const { session, headers } = await b.open(saver.cookieOf(first.headers));
      assert.equal(session.isNew, true, garbage);
      assert.deepEqual(session.getData(), {});
      assert.deepEqual(headers.getSetCookie(), []);
      assert.deepEqual(b.events.map((e) => e.reason), ['malformed'], garbage);
    }
  });

  it("a valid record of another session under this session's key does not decrypt", async () => {
    let swap: ((key: string) => string) | undefined;
    const storage = faultyStore(async (inner, namespace, key, now) => inner.get(namespace, swap?.(key) ?? key, now));
    const b = bed({ storage });
    const a = await b.open();
    a.session.set('who', 'alice');
    await a.session.save();
    const c = await b.open();
    c.session.set('who', 'mallory');
    c.session.set('pad', 'to change the size');
    await c.session.save();
    const c2 = await b.open();
    c2.session.set('who', 'carol'); // a record of the same size as alice's
    await c2.session.save();

    const keyOf = (cookie: string) => codec.base64urlEncode(codec.parseHeader(cookie.slice('session='.length))!.sid);
    const alice = b.cookieOf(a.headers);
    for (const [other, reason] of [[c, 'malformed'], [c2, 'tampered']] as const) {
      swap = (key) => (key === keyOf(alice) ? keyOf(b.cookieOf(other.headers)) : key);
      b.events.length = 0;
      const { session } = await b.open(alice);
      assert.equal(session.isNew, true);
      assert.deepEqual(session.getData(), {});
      // Another size: the header's data size refuses it; the same size: the GCM tag does.
      assert.deepEqual(b.events.map((e) => e.reason), [reason]);
    }
    swap = undefined;
    assert.equal((await b.open(alice)).session.get('who'), 'alice', 'the genuine record still opens');
  });

  it('a store that throws rejects with STORAGE_ERROR naming it, with the cause, and without the cookie', async () => {
    const cause = new Error('connection reset');
    const b = bed({ storage: faultyStore(async () => Promise.reject(cause)) });
    const saver = bed({ storage: memoryStorage() });
    const first = await saver.open();
    first.session.set('k', 'v');
    await first.session.save();
    const cookie = saver.cookieOf(first.headers);
    await assert.rejects(b.open(cookie), (err: unknown) => {
      assert.ok(isSessionError(err, 'STORAGE_ERROR'));
      assert.equal(err.storage, 'faulty');
      assert.equal(err.cause, cause);
      assert.ok(!err.message.includes(cookie.slice('session='.length, 'session='.length + 43)));
      return true;
    });
  });
});

// ------------------------------------------------------------------------------------------ timeouts

describe('per-session rolling and absolute timeouts', () => {
  it('setRollingTimeout travels with the session and ends it once passed', async () => {
    const b = bed({ rollingTimeout: 3600, idlingTimeout: 0 });
    const first = await b.open();
    first.session.set('n', 1).setRollingTimeout(120);
    assert.deepEqual(first.session.timeouts, { idling: 0, rolling: 120, absolute: 86400 });
    await first.session.save();
    const cookie = b.cookieOf(first.headers);

    b.clock.advance(120);
    const alive = await b.open(cookie);
    assert.equal(alive.session.get('n'), 1);
    assert.equal(alive.session.timeRemaining().rolling, 0);
    b.clock.advance(1);
    const gone = await b.open(cookie);
    assert.equal(gone.session.isNew, true);
    assert.deepEqual(b.events.map((e) => [e.reason, e.detail]), [['expired', 'session rolling timeout exceeded']]);
  });

  it('setAbsoluteTimeout ends the session whatever its activity; <= 0 means never, and values are floored and capped', async () => {
    const b = bed({ idlingTimeout: 0, rollingTimeout: 0, absoluteTimeout: 86400 });
    const first = await b.open();
    first.session.set('n', 1).setAbsoluteTimeout(300.9);
    assert.equal(first.session.timeouts.absolute, 300);
    await first.session.save();
    let cookie = b.cookieOf(first.headers);

    b.clock.advance(200);
    const mid = await b.open(cookie);
    assert.equal(mid.session.timeToLive, 100);
    await mid.session.save(); // a re-save keeps the creation time
    cookie = b.cookieOf(mid.headers);
    b.clock.advance(101);
    assert.equal((await b.open(cookie)).session.isNew, true);
    assert.deepEqual(b.events.map((e) => e.detail), ['session absolute timeout exceeded']);

    const never = await b.open();
    never.session.setAbsoluteTimeout(0).setRollingTimeout(-5);
    assert.deepEqual(never.session.timeouts, { idling: 0, rolling: 0, absolute: 0 });
    assert.equal(never.session.timeToLive, undefined);
    never.session.setAbsoluteTimeout(2 ** 40).setRollingTimeout(Number.POSITIVE_INFINITY);
    assert.deepEqual(never.session.timeouts, { idling: 0, rolling: 2 ** 32 - 1, absolute: 2 ** 32 - 1 });
    assert.throws(() => never.session.setAbsoluteTimeout(Number.NaN), TypeError);
  });
});

// ------------------------------------------------------------------------------------------ hot-path caches

describe('the verified-cookie cache never stands in for a check it did not make', () => {
  const crypto = codec.defaultCrypto();
  const clock = fixedClock(T0);
  const base: SessionOptions = {
    secret: SECRET,
    now: clock.now,
    randomBytes: sequenceRandom(21),
    logger: { warn() {} },
    cookie: { name: 'session', rememberName: 'remember', secure: false },
  };
  const ua = (agent: string) => codec.bindDigest(crypto, [undefined, undefined, agent]);
  const ctx = (binding?: Uint8Array, now = clock.now()): OpenContext => ({ kind: 'session', chunk: () => undefined, binding: () => binding, now });
  /** A cookie value saved by a manager sharing the secret (it has its own cache). */
  const sealed = async (data: Record<string, unknown>, extra: SessionOptions = {}, agent = 'agent/1') => {
    const m = createSessionManager({ ...base, ...extra });
    const headers = new Headers();
    const session = await m.open(new Request(URL_, { headers: { 'user-agent': agent } }), headers);
    session.setData(data);
    await session.save();
    return headers.getSetCookie()[0]!.split(';', 1)[0]!.slice('session='.length);
  };

  it('hits return fresh objects; a changed payload, a timeout or a clear still get the full treatment', async () => {
    const options = resolveOptions(base);
    const value = await sealed({ cart: [1, 2] });
    assert.equal(cachedCookieCount(options), 0);
    const first = await openCookie(options, value, ctx());
    assert.ok(first.ok);
    assert.equal(cachedCookieCount(options), 1, 'an opened cookie is remembered');
    first.cookie.entries[0]!.data.cart = 'changed by the first request';

    const second = await openCookie(options, value, ctx());
    assert.ok(second.ok);
    assert.deepEqual(second.cookie.entries[0]!.data, { cart: [1, 2] }, 'a hit parses fresh objects');

    // Same header, another ciphertext of the same length: decrypted, and refused by the tag.
    const payload = value.slice(codec.HEADER_TEXT_SIZE);
    const other = value.slice(0, codec.HEADER_TEXT_SIZE) + (payload[0] === 'A' ? 'B' : 'A') + payload.slice(1);
    const tampered = await openCookie(options, other, ctx());
    assert.deepEqual([tampered.ok, !tampered.ok && tampered.reason], [false, 'tampered']);
    assert.equal(cachedCookieCount(options), 1, 'failures are not remembered');

    // The timeouts run on a hit too.
    const late = await openCookie(options, value, ctx(undefined, clock.now() + 901));
    assert.deepEqual([late.ok, !late.ok && late.reason], [false, 'expired']);

    clearCookieCache(options);
    assert.equal(cachedCookieCount(options), 0);
    const again = await openCookie(options, value, ctx());
    assert.ok(again.ok, 'after a clear the full checks open it as before');
    assert.deepEqual(again.cookie.entries, second.cookie.entries);
  });

  it('a hit for one client binding is no hit for another', async () => {
    const options = resolveOptions(base);
    const value = await sealed({ bound: true }, { bind: ['userAgent'] }, 'agent/1');
    assert.ok((await openCookie(options, value, ctx(ua('agent/1')))).ok);
    assert.equal(cachedCookieCount(options), 1);
    const stolen = await openCookie(options, value, ctx(ua('agent/2')));
    assert.deepEqual([stolen.ok, !stolen.ok && stolen.reason], [false, 'unauthenticated']);
    const unbound = await openCookie(options, value, ctx(undefined));
    assert.deepEqual([unbound.ok, !unbound.ok && unbound.reason], [false, 'unauthenticated']);
  });

  it('cacheOpenedCookie: a recorded cookie opens as a full open would; records are per kind, header, payload', async () => {
    const options = resolveOptions(base);
    const value = await sealed({ recorded: 'yes' });
    const header = value.slice(0, codec.HEADER_TEXT_SIZE);
    const payload = value.slice(codec.HEADER_TEXT_SIZE);
    const full = await openCookie(resolveOptions(base), value, ctx());
    assert.ok(full.ok);
    const parsed = codec.parseHeader(value)!;
    const macKey = codec.deriveMacKey(crypto, options.keys[0]!, parsed.sid);
    const plaintext = JSON.stringify([[{ recorded: 'yes' }, 'default']]);

    cacheOpenedCookie(options, 'session', { header: header.slice(1), payload, macKey, binding: undefined }, plaintext);
    assert.equal(cachedCookieCount(options), 0, 'not a 110-character header: not recorded');

    // Recorded for the remember cookie (with other data): a session open does not use it.
    const forged = JSON.stringify([[{ recorded: 'forged' }, 'default']]);
    cacheOpenedCookie(options, 'remember', { header, payload, macKey, binding: undefined }, forged);
    // Recorded for another payload: the real payload is decrypted, not taken from the record.
    cacheOpenedCookie(options, 'session', { header, payload: `${payload.slice(1)}A`, macKey, binding: undefined }, forged);
    assert.equal(cachedCookieCount(options), 2);
    const opened = await openCookie(options, value, ctx());
    assert.ok(opened.ok);
    assert.deepEqual(opened.cookie.entries, full.cookie.entries);

    // Recorded as the session itself sealed it: the same result as the full open.
    clearCookieCache(options);
    cacheOpenedCookie(options, 'session', { header, payload, macKey, binding: undefined }, plaintext);
    const fromRecord = await openCookie(options, value, ctx());
    assert.ok(fromRecord.ok);
    assert.deepEqual(fromRecord.cookie.entries, full.cookie.entries);
    assert.deepEqual(fromRecord.cookie.macKey, full.cookie.macKey);
    assert.equal(fromRecord.cookie.keyIndex, 0);
  });
});
