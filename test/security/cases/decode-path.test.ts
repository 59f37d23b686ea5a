/**
 * Security checklist section 6, cases 1-20 (cookie input, the decode path): every malformed, tampered,
 * oversized, foreign or semantically invalid cookie yields "no session" (a new, empty session, nothing
 * thrown, no Set-Cookie) with the expected typed `onInvalid` reason, before any store call or decryption
 * where the case asks for it. Cookies use the library's default name `__Host-session`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRaw } from '../../../src/codec/compress.ts';
import { collectCookies } from '../../../src/cookie/parse.ts';
import { chunkCount, splitChunks } from '../../../src/cookie/serialize.ts';
import type { InvalidReason } from '../../../src/errors.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import { assertNoSession, assertReasons, b64, bed, COOKIE, cookieValue, countingCrypto, countingStorage, Flags, forge, HEADER_TEXT_SIZE } from './support.ts';
import { issue, OTHER_SECRET, rawGet, remac, REMEMBER, sidOf, visit, visitNode, type Manager } from './support.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const replaceAt = (s: string, i: number, c: string): string => s.slice(0, i) + c + s.slice(i + 1);
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
/** Flips one bit of the decoded header (no re-MAC). */
const flipHeader = (value: string, byte: number, bit: number): string => {
  const h = bytesOf(value.slice(0, HEADER_TEXT_SIZE));
  h[byte]! ^= 1 << bit;
  return b64(h) + value.slice(HEADER_TEXT_SIZE);
};
const DATA = { user: 'alice', role: 'user' };

/** A cookie-storage manager, a valid cookie value of it, and a probe returning the visit and its events. */
async function setup(options: Parameters<ReturnType<typeof bed>['manager']>[0] = {}) {
  // A budget of nine full cookies, so that large cookies reach the decoder (the budget itself is tested
  // in test/session/cookie-size.test.ts).
  const b = bed({ ...options, cookie: { maxSize: 36_864, ...options?.cookie } });
  const m = b.manager();
  const valid = cookieValue(await issue(m, DATA));
  const probe = async (cookie: string | string[] | undefined, manager: Manager = m) => {
    b.take();
    const v = await visitNode(manager, cookie);
    return { v, events: b.take() };
  };
  /** `cookie` yields no session and exactly the `reasons` events. */
  const refuse = async (cookie: string, reasons: readonly InvalidReason[], label = ''): Promise<void> => {
    const { v, events } = await probe(cookie);
    assertNoSession(v, label, reasons.includes('oversized'));
    assertReasons(events, reasons, label);
  };
  return { b, m, valid, probe, refuse };
}

describe('security checklist 6, cases 1-20: the decode path', () => {
  it('case 1: no Cookie header → no session, zero store calls, no Set-Cookie until the app writes', async () => {
    const counted = countingStorage(memoryStorage());
    const b = bed({ storage: counted.storage });
    const m = b.manager();
    for (const cookie of [undefined, '', 'a=1; b=2', `x${COOKIE}=1; ${COOKIE}x=2`]) {
      for (const how of ['open', 'start'] as const) {
        const v = await visit(m, cookie, how);
        assertNoSession(v, `${how} ${String(cookie)}`);
        assert.equal(v.header('cache-control'), undefined, 'nothing to keep out of caches');
      }
    }
    assert.deepEqual(counted.calls, [], 'the store was never called');
    assert.deepEqual(b.events, [], 'an absent cookie is not an anomaly');
    const v = await visit(m);
    v.session.set('n', 1);
    await v.session.save();
    assert.equal(v.lines().length, 1, 'writing data is what sets a cookie');
  });

  it('case 2: an empty session cookie value → no session; the store is never asked for an empty key', async () => {
    const counted = countingStorage(memoryStorage());
    const { probe, refuse, b } = await setup({ storage: counted.storage });
    counted.reset();
    for (const cookie of [`${COOKIE}=`, `${COOKIE}= `, `a=1; ${COOKIE}=; b=2`, `${COOKIE}=; ${REMEMBER}=`, `${COOKIE}=""`]) {
      await refuse(cookie, cookie.endsWith('""') ? ['malformed'] : [], cookie);
    }
    assert.deepEqual(counted.calls, [], 'no store call, least of all with an empty key');
    assert.equal(b.events.length, 0);
  });

  it('case 3: invalid base64url characters (! % space + / = non-ASCII) anywhere → malformed', async () => {
    const { valid, probe, refuse } = await setup();
    for (const c of ['!', '%', ' ', '+', '/', '=', 'é', '€', '\u0080', '\u00ff']) {
      for (const at of [0, 55, HEADER_TEXT_SIZE - 1, HEADER_TEXT_SIZE, HEADER_TEXT_SIZE + 20, valid.length - 1]) {
        await refuse(`${COOKIE}=${replaceAt(valid, at, c)}`, ['malformed'], `${JSON.stringify(c)}@${at}`);
      }
    }
    // A lenient decoder would have skipped the bad characters: Node's does (the checklist's probe).
    assert.equal(Buffer.from('3q2+7wE!!!', 'base64').toString('hex'), 'deadbeef01');
  });

  it('case 4: non-canonical base64url (unused low bits set) → malformed, also for a revoked cookie', async () => {
    const revocation = { storage: memoryStorage() };
    const { valid, probe, refuse, m } = await setup({ revocation });
    const last = ALPHABET.indexOf(valid[HEADER_TEXT_SIZE - 1]!);
    assert.equal(last & 15, 0, 'a canonical 110-character header leaves its last 4 bits clear');
    const twins = Array.from({ length: 15 }, (_, i) => replaceAt(valid, HEADER_TEXT_SIZE - 1, ALPHABET[last | (i + 1)]!));
    for (const twin of twins) {
      assert.deepEqual(Buffer.from(twin.slice(0, HEADER_TEXT_SIZE), 'base64url'), Buffer.from(valid.slice(0, HEADER_TEXT_SIZE), 'base64url'));
      await refuse(`${COOKIE}=${twin}`, ['malformed']);
    }
    // The denylist is keyed by the decoded id: no spelling of a destroyed cookie gets through.
    const opened = await visit(m, `${COOKIE}=${valid}`);
    await opened.session.destroy();
    for (const value of [valid, ...twins.slice(0, 3)]) {
      await refuse(`${COOKIE}=${value}`, [value === valid ? 'revoked' : 'malformed']);
    }
  });

  it('case 5: every prefix of a valid cookie (lengths 0..N-1) → no session', async () => {
    const counted = countingStorage(memoryStorage());
    const cookieMode = await setup();
    const storeMode = await setup({ storage: counted.storage });
    counted.reset();
    for (const { valid, refuse } of [cookieMode, storeMode]) {
      for (let len = 0; len < valid.length; len++) {
        await refuse(`${COOKIE}=${valid.slice(0, len)}`, len === 0 ? [] : ['malformed'], `length ${len}`);
      }
    }
    assert.deepEqual(counted.calls, [], 'a truncated server-side header never reaches the store');
  });

  it('case 6: every single-bit flip of the header and the ciphertext → rejected (100 %)', async () => {
    const { valid, probe, refuse } = await setup();
    let rejected = 0;
    for (let byte = 0; byte < 82; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const { v, events } = await probe(`${COOKIE}=${flipHeader(valid, byte, bit)}`);
        assertNoSession(v, `header byte ${byte} bit ${bit}`);
        const expected: InvalidReason = byte === 0 ? 'malformed' : byte === 1 && bit === 0 ? 'flags' : 'unauthenticated';
        assertReasons(events, [expected], `header byte ${byte} bit ${bit}`);
        rejected++;
      }
    }
    const payload = bytesOf(valid.slice(HEADER_TEXT_SIZE));
    for (let i = 0; i < payload.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = payload.slice();
        flipped[i]! ^= 1 << bit;
        await refuse(`${COOKIE}=${valid.slice(0, HEADER_TEXT_SIZE)}${b64(flipped)}`, ['tampered'], `payload byte ${i} bit ${bit}`);
        rejected++;
      }
    }
    assert.equal(rejected, (82 + payload.length) * 8);
  });

  it('case 7: splicing header A + payload B, or the id of A into B, → rejected', async () => {
    const { m, probe, refuse } = await setup();
    const a = cookieValue(await issue(m, { n: 1, who: 'alice' }));
    const bv = cookieValue(await issue(m, { n: 2, who: 'bobby' }));
    assert.equal(a.length, bv.length, 'same sizes: only the cryptography can tell them apart');
    for (const spliced of [a.slice(0, HEADER_TEXT_SIZE) + bv.slice(HEADER_TEXT_SIZE), bv.slice(0, HEADER_TEXT_SIZE) + a.slice(HEADER_TEXT_SIZE)]) {
      await refuse(`${COOKIE}=${spliced}`, ['tampered']);
    }
    const sidA = bytesOf(a.slice(0, HEADER_TEXT_SIZE)).subarray(3, 35);
    const idSwap = (() => {
      const h = bytesOf(bv.slice(0, HEADER_TEXT_SIZE));
      h.set(sidA, 3);
      return b64(h) + bv.slice(HEADER_TEXT_SIZE);
    })();
    assertReasons((await probe(`${COOKIE}=${idSwap}`)).events, ['unauthenticated']);
    // Even with the header MAC recomputed (an attacker holding the MAC key), the id is bound into the
    // payload key through HKDF `info`: B's ciphertext does not open under A's id.
    const remaced = remac(bv, (h) => h.set(sidA, 3));
    await refuse(`${COOKIE}=${remaced}`, ['tampered']);
  });

  it('case 8: a cookie sealed by another deployment or a removed secret → unauthenticated, no throw', async () => {
    const { probe } = await setup();
    const foreign = cookieValue(await issue(bed({ secret: OTHER_SECRET }).manager(), { admin: true }));
    const { v, events } = await probe(`${COOKIE}=${foreign}`);
    assertNoSession(v);
    assert.deepEqual(events.map((e) => [e.reason, e.detail]), [['unauthenticated', 'invalid session message authentication code']]);
  });

  it('case 9: audience A\'s cookie shows B nothing of A; enforceSameSubject drops another subject on save', async () => {
    const b = bed();
    const appA = b.manager({ audience: 'a' });
    const appB = b.manager({ audience: 'b' });
    const cookie = await issue(appA, { role: 'admin' }, 'alice');
    const inB = await visit(appB, cookie);
    assert.equal(inB.session.isNew, true, 'B has no session in this cookie');
    assert.deepEqual(inB.session.getData(), {});
    assert.equal(inB.session.get('role'), undefined);
    assert.equal(inB.session.subject, undefined, "B does not inherit A's subject");
    for (const [enforce, aSurvives] of [[false, true], [true, false]] as const) {
      const m = b.manager({ audience: 'b', enforceSameSubject: enforce });
      const v = await visit(m, cookie);
      v.session.setSubject('bob');
      v.session.set('x', 1);
      await v.session.save();
      const back = await visit(appA, v.cookie());
      assert.equal(back.session.isNew, !aSurvives, `enforceSameSubject ${enforce}`);
      assert.deepEqual(back.session.getData(), aSurvives ? { role: 'admin' } : {});
    }
  });

  it('case 10: type byte 0, 2 or 255 → malformed before any crypto; a wrong storage flag → flags, no store call', async () => {
    const counting = countingCrypto();
    const { valid, probe, refuse } = await setup({ crypto: counting.crypto });
    for (const type of [0, 2, 255]) {
      const h = bytesOf(valid.slice(0, HEADER_TEXT_SIZE));
      h[0] = type;
      counting.reset();
      await refuse(`${COOKIE}=${b64(h)}${valid.slice(HEADER_TEXT_SIZE)}`, ['malformed'], `type ${type}`);
      assert.equal(counting.total(), 0, `type ${type}: no crypto ran`);
    }
    counting.reset();
    assertReasons((await probe(`${COOKIE}=${flipHeader(valid, 1, 0)}`)).events, ['flags']);
    assert.equal(counting.counts.hmacSha256! + counting.counts.decrypt!, 0, 'rejected before the MAC and the decryption');
    const counted = countingStorage(memoryStorage());
    const store = await setup({ storage: counted.storage });
    counted.reset();
    await store.refuse(`${COOKIE}=${valid}`, ['flags']);
    assert.deepEqual(counted.calls, []);
  });

  it('case 11: 4 KiB and 8 KiB values → no session without decrypting; above the cap (40 KiB, 64 KiB, 1 MiB) → oversized before any crypto', async () => {
    const counting = countingCrypto();
    const { valid, refuse } = await setup({ crypto: counting.crypto });
    for (const size of [4096, 8192, 40 * 1024, 64 * 1024, 1024 * 1024]) {
      for (const value of [valid + 'A'.repeat(size - valid.length), 'A'.repeat(size)]) {
        counting.reset();
        await refuse(`${COOKIE}=${value}`, [size > 36_864 ? 'oversized' : 'malformed'], `${size}`);
        assert.equal(counting.counts.decrypt, 0, `${size}: nothing was decrypted`);
        if (size > 36_864) assert.equal(counting.total(), 0, `${size}: no crypto at all above the cap`);
      }
    }
  });

  it('case 12: a data-size field that disagrees with the payload (or exceeds the maximum) → malformed before decryption', async () => {
    const counting = countingCrypto();
    const { valid, probe, refuse } = await setup({ crypto: counting.crypto });
    const actual = valid.length - HEADER_TEXT_SIZE;
    for (const declared of [actual + 4, actual - 4, 1, 2 ** 24 - 1]) {
      const value = remac(valid, (h) => h.set([declared & 0xff, (declared >> 8) & 0xff, declared >> 16], 44));
      counting.reset();
      await refuse(`${COOKIE}=${value}`, ['malformed'], `declared ${declared}`);
      assert.equal(counting.counts.decrypt, 0, `declared ${declared}: never decrypted`);
    }
  });

  it('case 13: several Cookie header lines are read as one list (node:http, node transport, Fetch)', async () => {
    const { m, valid } = await setup();
    // Two Cookie header lines sent to a real node:http server (which joins them with '; ').
    const body = await rawGet(async (req, res) => {
      const s = await m.open(req, res);
      res.end(JSON.stringify({ isNew: s.isNew, data: s.getData() }));
    }, ['cookie', 'a=1', 'cookie', `${COOKIE}=${valid}`]);
    assert.deepEqual(JSON.parse(body), { isNew: false, data: DATA });
    assert.deepEqual((await visitNode(m, ['a=1', `${COOKIE}=${valid}`])).session.getData(), DATA);
    const headers = new Headers();
    headers.append('cookie', 'a=1');
    headers.append('cookie', `${COOKIE}=${valid}`);
    assert.deepEqual((await m.open(new Request('https://example.com/', { headers }), new Headers())).getData(), DATA);
  });

  it('case 14: duplicate session cookies → each tried, only the authentic one used, never merged', async () => {
    const { m, valid, probe, refuse } = await setup();
    const other = cookieValue(await issue(m, { user: 'mallory' }));
    const tossed = cookieValue(await issue(bed({ secret: OTHER_SECRET }).manager(), { user: 'tossed', admin: true }));
    const tampered = flipHeader(valid, 70, 1);
    for (const [cookies, data, reasons] of [
      [['garbage', valid], DATA, ['malformed']],
      [[tossed, valid], DATA, ['unauthenticated']],
      [[tampered, 'x', valid], DATA, ['unauthenticated', 'malformed']],
      [[valid, other], DATA, []],
      [[other, valid], { user: 'mallory' }, []],
    ] as const) {
      const { v, events } = await probe(cookies.map((c) => `${COOKIE}=${c}`).join('; '));
      assert.equal(v.session.isNew, false);
      assert.deepEqual(v.session.getData(), data, 'exactly one session, never a merge');
      assertReasons(events, reasons);
    }
    await refuse(`${COOKIE}=${tossed}; ${COOKIE}=${tampered}`, ['unauthenticated', 'unauthenticated']);
  });

  it('case 15: case variants of the name (__HOST-, __host-, -SESSION) are not the session cookie', async () => {
    const { valid, probe, refuse } = await setup();
    for (const name of ['__HOST-session', '__host-session', '__Host-Session', '__Host-SESSION', '__host-SESSION', 'session']) {
      await refuse(`${name}=${valid}`, [], name);
    }
  });

  it('case 16: CTLs, NUL, CR/LF, DEL, overlong UTF-8 and malformed %-escapes → no session, no throw', async () => {
    const { valid, probe, refuse } = await setup();
    for (const bad of ['%E0%A4%A', '%', '%ZZ', '\0', 'a\0b', '\r\n', 'x\ry', '\x7f', '\x01\x1f', '\xC0\xAF', '\uD800', '\uDFFF\uD800']) {
      for (const value of [bad, replaceAt(valid, 60, bad), replaceAt(valid, valid.length - 5, bad), `x${bad}${valid}`]) {
        const { v, events } = await probe(`${COOKIE}=${value}`);
        assertNoSession(v, JSON.stringify(bad));
        // (A value that is only whitespace is trimmed to empty, i.e. absent: no event.)
        assertReasons(events, value.trim() === '' ? [] : ['malformed'], JSON.stringify(value.slice(0, 12)));
      }
    }
  });

  it('case 17: prototype keys in the Cookie header → a prototype-less map, nothing polluted', async () => {
    const { valid, probe, refuse } = await setup();
    const parsed = collectCookies('__proto__=x; constructor=y; toString=z; __proto__[polluted]=1', () => true);
    assert.equal(Object.getPrototypeOf(parsed), null);
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'constructor', 'toString', '__proto__[polluted]']);
    assert.deepEqual(parsed['__proto__'], ['x']);
    const { v, events } = await probe(`__proto__=x; constructor=y; toString=z; __proto__[polluted]=1; ${COOKIE}=${valid}; valueOf=1`);
    assert.deepEqual(v.session.getData(), DATA);
    assertReasons(events, []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(typeof ({} as { toString: unknown }).toString, 'function');
  });

  it('case 18: session data with a __proto__ key round-trips as data and pollutes nothing', async () => {
    const { m, probe, refuse } = await setup();
    const input = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"ok":1}') as Record<string, unknown>;
    const cookie = await issue(m, input);
    const { v } = await probe(cookie);
    const data = v.session.getData();
    assert.ok(Object.hasOwn(data, '__proto__'), 'an own data property, not a prototype');
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.deepEqual(v.session.get('__proto__'), { polluted: 'yes' });
    assert.deepEqual(v.session.get('constructor'), { prototype: { polluted: 'yes' } });
    const forged = forge({ plaintext: '[[{"__proto__":{"isAdmin":true},"n":1},"default"]]' });
    const f = await probe(`${COOKIE}=${forged.value}`);
    assert.equal(f.v.session.get('isAdmin' as never), undefined);
    assert.deepEqual(f.v.session.get('__proto__'), { isAdmin: true });
    for (const probeObject of [{}, data, f.v.session.getData()] as Array<Record<string, unknown>>) {
      assert.equal(probeObject.polluted, undefined);
      assert.equal(probeObject.isAdmin, undefined);
    }
  });

  it('case 19: authenticated but invalid payloads (not JSON, wrong shapes, wrong types) → malformed', async () => {
    const { probe, refuse } = await setup();
    const deepArray = deflateRaw(new TextEncoder().encode(`[[${'['.repeat(100_000)}${']'.repeat(100_000)},"default"]]`));
    const bad: Array<string | Uint8Array> = ['', 'not json', '{}', '"str"', '[]', '[1]', '[[1,"default"]]', '[[{},5]]', '[[{},"default",5]]',
      '[[{},"default","s","x"]]', '[[[],"default"]]', '[[null,"default"]]', '[[{},"default"]', new Uint8Array([0xff, 0xfe, 0x5b]), deepArray];
    for (const plaintext of bad) {
      await refuse(`${COOKIE}=${forge({ plaintext, flags: plaintext === deepArray ? Flags.deflate : 0 }).value}`, ['malformed'], String(plaintext).slice(0, 20));
    }
    // Deflate flag on bytes that do not inflate, or that inflate past the 16 MiB limit (a deflate bomb,
    // sent in chunks).
    for (const plaintext of [new Uint8Array([1, 2, 3, 4]), deflateRaw(new Uint8Array(17 * 2 ** 20).fill(0x20))]) {
      const value = forge({ plaintext, flags: Flags.deflate }).value;
      const chunks = splitChunks(COOKIE, value, chunkCount(COOKIE.length, value.length));
      await refuse(chunks.map((chunk, i) => `${COOKIE}${i === 0 ? '' : i + 1}=${chunk}`).join('; '), ['malformed'], `deflated ${plaintext.length} bytes`);
    }
    // Internal fields of the wrong type are ignored: the manager's timeouts apply, nothing is loosened.
    const odd = forge({ plaintext: '[[{"@timeouts":{"idling":-5,"rolling":"never","absolute":1.5},"@remember":"yes","u":1},"default"]]' });
    const { v } = await probe(`${COOKIE}=${odd.value}`);
    assert.deepEqual(v.session.timeouts, { idling: 900, rolling: 3600, absolute: 86400 });
    assert.equal(v.session.remember, false);
  });

  it('case 19: an authenticated payload nested 1e5 deep (deflated into one cookie) → malformed, no stack overflow', async () => {
    const { probe, refuse } = await setup();
    const n = 100_000;
    for (const data of [`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `{"a":${'['.repeat(n)}${']'.repeat(n)}}`]) {
      const json = `[[${data},"default"]]`;
      const value = forge({ plaintext: deflateRaw(new TextEncoder().encode(json)), flags: Flags.deflate }).value;
      assert.ok(value.length < 4096, 'fits in one cookie once deflated');
      await refuse(`${COOKIE}=${value}`, ['malformed']);
    }
    // What an application can store (512 levels) still round-trips.
    const { m } = await setup();
    let deep: unknown = 1;
    for (let i = 0; i < 500; i++) deep = { a: deep };
    const back = await probe(await issue(m, { deep }));
    assert.deepEqual(back.v.session.getData(), { deep });
  });

  it('case 20: chunked cookies: missing, reordered, extra, disagreeing count and stale chunks', async () => {
    const { m, probe, refuse } = await setup({ compressionThreshold: 0 });
    // Three cookies: each Set-Cookie line, attributes included, holds at most 4096 bytes.
    const big = { blob: Array.from({ length: 8900 }, (_, i) => ALPHABET[(i * 7 + (i >> 6)) % 64]).join('') };
    const cookie = await issue(m, big);
    const [s1, s2, s3] = [cookieValue(cookie), cookieValue(cookie, `${COOKIE}2`), cookieValue(cookie, `${COOKIE}3`)];
    const c = (a: string, b?: string, d?: string, extra = ''): string =>
      `${COOKIE}=${a}${b === undefined ? '' : `; ${COOKIE}2=${b}`}${d === undefined ? '' : `; ${COOKIE}3=${d}`}${extra}`;
    assert.deepEqual((await probe(c(s1, s2, s3))).v.session.getData(), big);
    for (const [header, reasons] of [
      [c(s1, undefined, s3), ['missing-chunk']],
      [c(s1, s2), ['missing-chunk']],
      // The chunks are read in order until the data size is reached: a short last chunk reads as a
      // chunk missing after it.
      [c(s1, s2, s3.slice(0, -8)), ['missing-chunk']],
      [c(remac(s1, (h) => void (h[45]! -= 16)), s2, s3), ['malformed']],
      [c(remac(s1, (h) => void (h[45]! += 16)), s2, s3), ['missing-chunk']],
    ] as const) {
      await refuse(header, reasons, header.slice(-30));
    }
    // Reordered: not canonical base64url at the new end (malformed), or decodes and fails the tag (tampered).
    const swapped = await probe(c(s1, s3, s2));
    assertNoSession(swapped.v);
    assert.ok(swapped.events.length === 1 && ['malformed', 'tampered'].includes(swapped.events[0]!.reason), JSON.stringify(swapped.events));
    // An extra chunk is not part of the value (the header gives the count); the next save expires it.
    const extra = await probe(c(s1, s2, s3, `; ${COOKIE}4=garbage`));
    assert.deepEqual(extra.v.session.getData(), big);
    extra.v.session.set('blob', 'small');
    await extra.v.session.save();
    const lines = extra.v.lines();
    assert.deepEqual(lines.filter((l) => / Max-Age=0$/.test(l)).map((l) => l.split('=', 1)[0]), [`${COOKIE}2`, `${COOKIE}3`, `${COOKIE}4`]);
    // Stale chunks of a larger previous session, kept by a client that ignored the deletions.
    const small = lines.find((l) => l.startsWith(`${COOKIE}=`))!.split(';', 1)[0]!.slice(COOKIE.length + 1);
    const stale = await probe(c(small, s2, s3));
    assert.deepEqual(stale.v.session.getData(), { blob: 'small' }, 'the stale chunks are not merged in');
    assert.notEqual(sidOf(small), sidOf(s1));
    await stale.v.session.save();
    assert.equal(stale.v.lines().filter((l) => / Max-Age=0$/.test(l)).length, 2, 'and the next save deletes them');
  });
});
