/**
 * Security checklist section 6, cases 1-20: every class of bad cookie input yields "no session" (a new,
 * empty session, nothing thrown, no Set-Cookie unless the app saves) and the expected typed `onInvalid`
 * reason, which never carries the cookie value.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionManager, luaRestySessionCookie, type SessionOptions } from '../../src/index.ts';
import type { InvalidCookie, InvalidReason } from '../../src/errors.ts';
import { createNodeCrypto } from '../../src/codec/crypto.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { fixedClock, sequenceRandom } from '../../src/testing/index.ts';
import {
  countingCrypto,
  countingStorage,
  fakeNode,
  invalidRecorder,
  quietLogger,
  rawRequest,
  vectorCookie,
  VECTOR_AUDIENCE,
  VECTOR_CLOCK,
  VECTOR_SECRET,
  withServer,
} from '../helpers/http.ts';
import { cookieValues } from '../helpers/vectors.ts';

const HEADER_CHARS = 110;
const BASIC = vectorCookie('basic'); // 110-char header + 92-char payload
const BASIC_DATA = { quote: 'Lorem ipsum dolor sit amet' };

/** A manager of the vectors' settings, with lua-resty-session's cookie defaults (`session=...`); `extra.cookie` is merged over them. */
function setup(extra: Partial<SessionOptions> = {}) {
  const clock = fixedClock(VECTOR_CLOCK);
  const rec = invalidRecorder();
  const { cookie, ...rest } = extra;
  const manager = createSessionManager({
    secret: VECTOR_SECRET,
    audience: VECTOR_AUDIENCE,
    now: clock.now,
    randomBytes: sequenceRandom(7),
    logger: quietLogger,
    onInvalid: rec.onInvalid,
    ...rest,
    cookie: { ...luaRestySessionCookie, ...cookie },
  });
  /** Opens a session from a Cookie header (through the node transport) and reports what happened. */
  const open = async (cookie?: string | string[]) => {
    rec.events.length = 0;
    const pair = fakeNode(cookie);
    const session = await manager.open(pair.req, pair.res);
    return { session, events: [...rec.events], setCookies: pair.setCookies(), pair };
  };
  /** Saves a new session holding `data` and returns its Set-Cookie lines. */
  const issue = async (data: Record<string, unknown>): Promise<string[]> => {
    const pair = fakeNode();
    const session = await manager.open(pair.req, pair.res);
    session.setData(data);
    await session.save();
    return pair.setCookies();
  };
  return { clock, manager, open, issue, events: rec.events };
}

type Opened = Awaited<ReturnType<ReturnType<typeof setup>['open']>>;

/**
 * "No session": new, empty, no Set-Cookie written; except that cookies over the size budget
 * (`oversized`) are answered with their expiry, so that the client sheds them.
 */
function assertNoSession(r: Opened, label = ''): void {
  assert.equal(r.session.isNew, true, `${label}: isNew`);
  assert.deepEqual(r.session.getData(), {}, `${label}: data`);
  const shed = r.events.some((e) => e.reason === 'oversized');
  if (shed) assert.ok(r.setCookies.length > 0, `${label}: oversized cookies are expired`);
  assert.deepEqual(r.setCookies.filter((l) => !(shed && l.endsWith('; Max-Age=0'))), [], `${label}: Set-Cookie`);
}

/** Exactly one onInvalid event, with `reason`, for the session cookie, not carrying `value`. */
function assertReason(events: readonly InvalidCookie[], reason: InvalidReason | readonly InvalidReason[], value: string, label = ''): void {
  assert.equal(events.length, 1, `${label}: one onInvalid event, got ${JSON.stringify(events)}`);
  const allowed: readonly InvalidReason[] = typeof reason === 'string' ? [reason] : reason;
  assert.ok(allowed.includes(events[0]!.reason), `${label}: reason ${events[0]!.reason}, expected ${allowed.join('|')}`);
  assert.equal(events[0]!.cookie, 'session');
  const text = JSON.stringify(events);
  if (value.length >= 8) assert.ok(!text.includes(value), `${label}: the event carries the cookie value`);
  if (value.length >= HEADER_CHARS) assert.ok(!text.includes(value.slice(0, 43)), `${label}: the event carries part of the cookie`);
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64url');
const enc = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
/** Decodes the header, lets `fn` change its bytes, re-encodes (payload kept). */
function withHeader(value: string, fn: (bytes: Uint8Array) => void): string {
  const bytes = new Uint8Array(b64(value.slice(0, HEADER_CHARS)));
  assert.equal(bytes.length, 82);
  fn(bytes);
  return enc(bytes) + value.slice(HEADER_CHARS);
}
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const replaceAt = (s: string, i: number, c: string): string => s.slice(0, i) + c + s.slice(i + 1);

describe('bad cookie input yields no session and a typed reason', () => {
  it('the basic vector itself opens (the baseline every case below mutates)', async () => {
    const { open } = setup();
    const r = await open(`session=${BASIC}`);
    assert.equal(r.session.isNew, false);
    assert.deepEqual(r.session.getData(), BASIC_DATA);
    assert.deepEqual(r.events, []);
  });

  it('no Cookie header, or only other cookies: no session and no onInvalid call', async () => {
    const { open } = setup();
    for (const cookie of [undefined, '', 'a=1; b=2', 'sessionx=1; xsession=2']) {
      const r = await open(cookie);
      assertNoSession(r, String(cookie));
      assert.deepEqual(r.events, [], String(cookie));
    }
  });

  it('a new session writes a Set-Cookie only once the app saves', async () => {
    const { open } = setup();
    const r = await open('session=garbage');
    assertNoSession(r);
    r.session.set('x', 1);
    await r.session.save();
    assert.equal(r.pair.setCookies().filter((l) => l.startsWith('session=')).length, 1);
  });

  it('an empty value (`session=`) is treated as absent; `session=""` is malformed', async () => {
    const { open } = setup();
    for (const cookie of ['session=', 'session= ', 'a=1; session=; b=2']) {
      const r = await open(cookie);
      assertNoSession(r, cookie);
      assert.deepEqual(r.events, [], cookie);
    }
    const quoted = await open('session=""');
    assertNoSession(quoted);
    assertReason(quoted.events, 'malformed', '""');
  });

  it('invalid base64url characters in the header part → malformed', async () => {
    const { open } = setup();
    for (const c of ['!', '%', ' ', '+', '/', '=', 'é', 'ÿ', '€', '\u0080']) {
      for (const at of [0, 50, HEADER_CHARS - 1]) {
        const value = replaceAt(BASIC, at, c);
        const r = await open(`session=${value}`);
        assertNoSession(r, `${JSON.stringify(c)}@${at}`);
        assertReason(r.events, 'malformed', value, `${JSON.stringify(c)}@${at}`);
      }
    }
  });

  it('invalid base64url characters in the payload part → malformed (decoded strictly, not skipped)', async () => {
    const { open } = setup();
    for (const c of ['!', '%', ' ', '+', '/', '=', 'é', 'ÿ', '€', '\u0080']) {
      for (const at of [HEADER_CHARS, HEADER_CHARS + 40, BASIC.length - 1]) {
        const value = replaceAt(BASIC, at, c);
        const r = await open(`session=${value}`);
        assertNoSession(r, `${JSON.stringify(c)}@${at}`);
        assertReason(r.events, 'malformed', value, `${JSON.stringify(c)}@${at}`);
      }
    }
  });

  it('non-canonical base64url in the header (unused low bits of its last char) → malformed', async () => {
    const { open } = setup();
    const last = ALPHABET.indexOf(BASIC[HEADER_CHARS - 1]!);
    assert.equal(last & 15, 0, 'the canonical last header char has its 4 unused bits clear');
    for (let bits = 1; bits < 16; bits++) {
      const value = replaceAt(BASIC, HEADER_CHARS - 1, ALPHABET[last | bits]!);
      // A lenient decoder would read the very same 82 bytes: only a canonical check rejects it.
      assert.deepEqual(b64(value.slice(0, HEADER_CHARS)), b64(BASIC.slice(0, HEADER_CHARS)));
      const r = await open(`session=${value}`);
      assertNoSession(r, `bits ${bits}`);
      assertReason(r.events, 'malformed', value, `bits ${bits}`);
    }
  });

  it('non-canonical base64url in the payload (length % 4 != 0) → malformed', async () => {
    const { open, issue } = setup();
    let value = '';
    for (let n = 1; n <= 3 && value === ''; n++) {
      const v = cookieValues(await issue({ pad: 'x'.repeat(n) })).get('session')!;
      if ((v.length - HEADER_CHARS) % 4 !== 0) value = v;
    }
    assert.notEqual(value, '', 'found a payload whose length is not a multiple of 4');
    assert.equal((await open(`session=${value}`)).session.isNew, false, 'the unmodified cookie opens');
    const unused = (value.length - HEADER_CHARS) % 4 === 2 ? 15 : 3;
    const last = ALPHABET.indexOf(value.at(-1)!);
    assert.equal(last & unused, 0);
    for (let bits = 1; bits <= unused; bits++) {
      const mutated = value.slice(0, -1) + ALPHABET[last | bits]!;
      const r = await open(`session=${mutated}`);
      assertNoSession(r, `bits ${bits}`);
      assertReason(r.events, 'malformed', mutated, `bits ${bits}`);
    }
  });

  it('every prefix truncation of the basic vector (lengths 0..len-1) → no session', async () => {
    const { open } = setup();
    for (let len = 0; len < BASIC.length; len++) {
      const value = BASIC.slice(0, len);
      const r = await open(`session=${value}`);
      assertNoSession(r, `length ${len}`);
      if (len === 0) assert.deepEqual(r.events, []);
      else assertReason(r.events, 'malformed', value, `length ${len}`);
    }
  });

  it('every bit flip in the 82 header bytes → no session (type: malformed, storage flag: flags, else unauthenticated)', async () => {
    const { open } = setup();
    for (let byte = 0; byte < 82; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const value = withHeader(BASIC, (b) => void (b[byte]! ^= 1 << bit));
        const r = await open(`session=${value}`);
        const label = `byte ${byte} bit ${bit}`;
        assertNoSession(r, label);
        const expected: InvalidReason = byte === 0 ? 'malformed' : byte === 1 && bit === 0 ? 'flags' : 'unauthenticated';
        assertReason(r.events, expected, value, label);
      }
    }
  });

  it('every bit flip in the payload → tampered', async () => {
    const { open } = setup();
    const payload = new Uint8Array(b64(BASIC.slice(HEADER_CHARS)));
    for (let i = 0; i < payload.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = payload.slice();
        flipped[i]! ^= 1 << bit;
        const value = BASIC.slice(0, HEADER_CHARS) + enc(flipped);
        const r = await open(`session=${value}`);
        assertNoSession(r, `byte ${i} bit ${bit}`);
        assertReason(r.events, 'tampered', value, `byte ${i} bit ${bit}`);
      }
    }
  });

  it('splicing the header of cookie A with the payload of cookie B → no session', async () => {
    const { open, issue } = setup();
    const a = cookieValues(await issue({ n: 1, who: 'alice' })).get('session')!;
    const b = cookieValues(await issue({ n: 2, who: 'bobby' })).get('session')!;
    assert.equal(a.length, b.length, 'same-size payloads, so only the crypto can tell them apart');
    assert.deepEqual((await open(`session=${a}`)).session.getData(), { n: 1, who: 'alice' });
    for (const value of [a.slice(0, HEADER_CHARS) + b.slice(HEADER_CHARS), b.slice(0, HEADER_CHARS) + a.slice(HEADER_CHARS)]) {
      const r = await open(`session=${value}`);
      assertNoSession(r);
      assertReason(r.events, 'tampered', value);
    }
    // The session id of A in B's header: the MAC no longer matches.
    const sidA = b64(a.slice(0, HEADER_CHARS)).subarray(3, 35);
    const mixed = withHeader(b, (bytes) => bytes.set(sidA, 3));
    const r = await open(`session=${mixed}`);
    assertNoSession(r);
    assertReason(r.events, 'unauthenticated', mixed);
  });

  it('a cookie sealed with another secret → unauthenticated', async () => {
    const other = setup({ secret: 'another-deployment-secret-0123456789' });
    const value = cookieValues(await other.issue({ admin: true })).get('session')!;
    const { open } = setup();
    const r = await open(`session=${value}`);
    assertNoSession(r);
    assertReason(r.events, 'unauthenticated', value);
    const vectorElsewhere = await other.open(`session=${BASIC}`);
    assertNoSession(vectorElsewhere);
    assertReason(vectorElsewhere.events, 'unauthenticated', BASIC);
  });

  it('an expired cookie → expired (and it still opens one second earlier)', async () => {
    const { open, clock } = setup();
    clock.advance(900);
    assert.equal((await open(`session=${BASIC}`)).session.isNew, false);
    clock.advance(1);
    const r = await open(`session=${BASIC}`);
    assertNoSession(r);
    assertReason(r.events, 'expired', BASIC);
    assert.equal(r.events[0]!.detail, 'session idling timeout exceeded');
  });

  it('oversized values (40 KB, 64 KB, 1 MB) → oversized, before any decoding or crypto', async () => {
    const counting = countingCrypto(createNodeCrypto(nodeCrypto));
    const { open } = setup({ crypto: counting.crypto });
    for (const size of [40 * 1024, 64 * 1024, 1024 * 1024]) {
      const value = BASIC + 'A'.repeat(size - BASIC.length);
      counting.reset();
      const r = await open(`session=${value}`);
      assertNoSession(r, `${size}`);
      assertReason(r.events, 'oversized', value, `${size}`);
      assert.equal(counting.calls(), 0, `${size}: no crypto was run`);
    }
  });

  it('a payload longer or shorter than the header data size → malformed', async () => {
    const { open } = setup();
    for (const value of [`${BASIC}A`, `${BASIC}AAAA`, BASIC.slice(0, -4), BASIC.slice(0, HEADER_CHARS)]) {
      const r = await open(`session=${value}`);
      assertNoSession(r, `length ${value.length}`);
      assertReason(r.events, 'malformed', value, `length ${value.length}`);
    }
  });

  it('a chunked cookie missing a chunk → missing-chunk; reordered or truncated chunks → no session', async () => {
    const { open, issue } = setup({ compressionThreshold: 0, cookie: { maxSize: 36_864 } });
    const data = { blob: Array.from({ length: 9000 }, (_, i) => ALPHABET[(i * 7) % 64]).join('') };
    const lines = await issue(data);
    const v = cookieValues(lines);
    assert.deepEqual([...v.keys()], ['session', 'session2', 'session3']);
    const [s1, s2, s3] = [v.get('session')!, v.get('session2')!, v.get('session3')!];
    assert.deepEqual((await open(`session=${s1}; session2=${s2}; session3=${s3}`)).session.getData(), data);
    for (const cookie of [`session=${s1}; session3=${s3}`, `session=${s1}; session2=${s2}`, `session=${s1}`]) {
      const r = await open(cookie);
      assertNoSession(r, cookie.slice(0, 30));
      assertReason(r.events, 'missing-chunk', s1);
    }
    const swapped = await open(`session=${s1}; session2=${s3}; session3=${s2}`);
    assertNoSession(swapped);
    assertReason(swapped.events, ['malformed', 'tampered'], s1);
    // Chunks are read in order until the header's data size is reached (writers lay them out
    // differently), so a truncated last chunk reads as a chunk missing after it.
    const truncated = await open(`session=${s1}; session2=${s2}; session3=${s3.slice(0, -10)}`);
    assertNoSession(truncated);
    assertReason(truncated.events, ['malformed', 'missing-chunk'], s1);
  });

  it('type byte 0, 2 or 255 → malformed, before any crypto', async () => {
    const counting = countingCrypto(createNodeCrypto(nodeCrypto));
    const { open } = setup({ crypto: counting.crypto });
    for (const type of [0, 2, 255]) {
      const value = withHeader(BASIC, (b) => void (b[0] = type));
      counting.reset();
      const r = await open(`session=${value}`);
      assertNoSession(r, `type ${type}`);
      assertReason(r.events, 'malformed', value, `type ${type}`);
      assert.equal(counting.calls(), 0);
    }
  });

  it('storage flag mismatches → flags, with no store call', async () => {
    const cookieMode = setup();
    const flagged = withHeader(BASIC, (b) => void (b[1]! |= 0x01));
    const r1 = await cookieMode.open(`session=${flagged}`);
    assertNoSession(r1);
    assertReason(r1.events, 'flags', flagged);

    const counted = countingStorage(memoryStorage());
    const storeMode = setup({ storage: counted.storage });
    const r2 = await storeMode.open(`session=${BASIC}`);
    assertNoSession(r2);
    assertReason(r2.events, 'flags', BASIC);
    assert.equal(counted.total(), 0);
  });

  it('two Cookie header lines reaching a real node:http server are read as one list', async () => {
    const { manager } = setup();
    await withServer(
      async (req, res) => {
        const session = await manager.open(req, res);
        res.end(JSON.stringify({ isNew: session.isNew, data: session.getData() }));
      },
      async (base) => {
        const reply = await rawRequest(base, ['cookie', 'a=1', 'cookie', `session=${BASIC}`]);
        assert.equal(reply.status, 200);
        assert.deepEqual(JSON.parse(reply.body), { isNew: false, data: BASIC_DATA });
      },
    );
    // A transport that hands over the lines as an array (as some frameworks do) reads them the same way.
    const { open } = setup();
    const r = await open(['a=1', `session=${BASIC}`]);
    assert.equal(r.session.isNew, false);
  });

  it('duplicate session cookies: each candidate is tried, the authentic one opens', async () => {
    const { open } = setup();
    const tampered = withHeader(BASIC, (b) => void (b[70]! ^= 1));
    for (const garbage of ['garbage', tampered, BASIC.slice(0, 150)]) {
      const r = await open(`session=${garbage}; a=1; session=${BASIC}`);
      assert.equal(r.session.isNew, false);
      assert.deepEqual(r.session.getData(), BASIC_DATA);
      assert.equal(r.events.length, 1, 'the bad candidate is still reported');
    }
    const first = await open(`session=${BASIC}; session=garbage`);
    assert.equal(first.session.isNew, false);
    assert.deepEqual(first.events, []);
    const none = await open(`session=garbage; session=${tampered}`);
    assertNoSession(none);
    assert.deepEqual(none.events.map((e) => e.reason), ['malformed', 'unauthenticated']);
  });

  it('case variants of the name (SESSION, Session) are not the session cookie', async () => {
    const { open } = setup();
    for (const name of ['SESSION', 'Session', 'sessioN']) {
      const r = await open(`${name}=${BASIC}`);
      assertNoSession(r, name);
      assert.deepEqual(r.events, [], name);
    }
  });

  it('prototype keys in the Cookie header neither pollute nor throw', async () => {
    const { open } = setup();
    const header = `__proto__=x; constructor=y; toString=z; __proto__[polluted]=1; hasOwnProperty=0; session=${BASIC}; valueOf=1`;
    const r = await open(header);
    assert.equal(r.session.isNew, false);
    assert.deepEqual(r.session.getData(), BASIC_DATA);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.toString.call({}), '[object Object]');
    const alone = await open('__proto__=x; constructor=y; toString=z');
    assertNoSession(alone);
    // Cookie names that collide with Object.prototype members work as session cookie names.
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const m = setup({ cookie: { name, rememberName: `${name}-r` } });
      const value = cookieValues(await m.issue({ ok: name })).get(name)!;
      assert.deepEqual((await m.open(`${name}=${value}`)).session.getData(), { ok: name });
      assertNoSession(await m.open('a=1'), name);
    }
    assert.equal(({} as Record<string, unknown>).ok, undefined);
  });

  it('CTLs, NUL, CR/LF, DEL, overlong UTF-8 and malformed %-escapes → no session, no throw', async () => {
    const { open } = setup();
    const values = ['%E0%A4%A', '%', '%%', '%ZZ', '\0', 'a\0b', '\r\n', 'x\ry', '\x7f', '\x01\x02\x1f', '\xC0\xAF', '\uD800', '\uDFFF\uD800'];
    for (const v of values) {
      // (Leading whitespace around a value is trimmed, as cookie parsers do: prefix only non-blank input.)
      for (const value of [v, replaceAt(BASIC, 60, v), replaceAt(BASIC, 150, v), ...(v.trim() === v ? [v + BASIC] : [])]) {
        const r = await open(`session=${value}`);
        assertNoSession(r, JSON.stringify(value.slice(0, 12)));
        assert.ok(r.events.length <= 1);
        for (const e of r.events) assert.equal(e.reason, 'malformed', JSON.stringify(v));
      }
    }
  });

  it('a memoryStorage manager makes zero store calls for absent, empty, malformed or unauthentic cookies', async () => {
    const counted = countingStorage(memoryStorage());
    const { open, issue } = setup({ storage: counted.storage });
    const valid = cookieValues(await issue({ a: 1 })).get('session')!;
    assert.equal(valid.length, HEADER_CHARS);
    assert.ok(counted.calls.set >= 1, 'the counting proxy sees the store calls');
    counted.calls.get = counted.calls.set = counted.calls.delete = counted.calls.other = 0;
    const bad = [
      undefined,
      'session=',
      'session=garbage',
      `session=${valid.slice(0, 109)}`,
      `session=${replaceAt(valid, 20, '!')}`,
      `session=${withHeader(valid, (b) => void (b[0] = 2))}`,
      `session=${withHeader(valid, (b) => void (b[40]! ^= 4))}`,
      `session=${valid}AAAA`,
      `session=${BASIC}`,
      `session=${'A'.repeat(50_000)}`,
    ];
    for (const cookie of bad) assertNoSession(await open(cookie), String(cookie).slice(0, 20));
    assert.equal(counted.total(), 0, JSON.stringify(counted.calls));
    const ok = await open(`session=${valid}`);
    assert.deepEqual(ok.session.getData(), { a: 1 });
    assert.equal(counted.calls.get, 1);
  });

  it('an onInvalid hook that throws does not make open() reject', async () => {
    const { manager } = setup({
      onInvalid: () => {
        throw new Error('hook failure');
      },
    });
    const pair = fakeNode(`session=garbage; session=${withHeader(BASIC, (b) => void (b[5]! ^= 1))}`);
    const session = await manager.open(pair.req, pair.res);
    assert.equal(session.isNew, true);
    const valid = fakeNode(`session=garbage; session=${BASIC}`);
    assert.deepEqual((await manager.open(valid.req, valid.res)).getData(), BASIC_DATA);
    const started = fakeNode('session=garbage');
    assert.equal((await manager.start(started.req, started.res)).isNew, true);
  });

  it('the Fetch transport gives the same results as the node transport', async () => {
    const { manager, events } = setup();
    const cases: Array<[string, InvalidReason | undefined]> = [
      [`session=${BASIC}`, undefined],
      [`session=${BASIC.slice(0, 150)}`, 'malformed'],
      [`session=${withHeader(BASIC, (b) => void (b[10]! ^= 1))}`, 'unauthenticated'],
      [`session=${replaceAt(BASIC, 150, BASIC[150] === 'A' ? 'B' : 'A')}`, 'tampered'],
    ];
    for (const [cookie, reason] of cases) {
      events.length = 0;
      const headers = new Headers();
      const session = await manager.open(new Request('http://example.com/', { headers: { cookie } }), headers);
      assert.equal(session.isNew, reason !== undefined, cookie);
      assert.deepEqual(events.map((e) => e.reason), reason === undefined ? [] : [reason]);
      assert.deepEqual(headers.getSetCookie(), []);
    }
  });
});
