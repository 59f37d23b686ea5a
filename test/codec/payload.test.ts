/**
 * The plaintext data model: `[data, audience, subject?]` entries as JSON, raw-deflated above the threshold
 * when smaller, and the bounded inflater.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRaw, inflateRaw } from '../../src/codec/compress.ts';
import { decodePayload, encodePayload, type SessionEntry } from '../../src/codec/payload.ts';

const LIMIT = 16 * 1024 * 1024;
const encoder = new TextEncoder();
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A small seeded PRNG (mulberry32). */
function prng(seed: number): { int(max: number): number; hex(n: number): string } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    int: (max) => next() % max,
    hex(n) {
      let out = '';
      for (let i = 0; i < n; i++) out += (next() & 15).toString(16);
      return out;
    },
  };
}

function decode(json: string | Uint8Array, deflated = false): SessionEntry[] | null {
  return decodePayload(typeof json === 'string' ? encoder.encode(json) : json, deflated, LIMIT);
}

function entriesOf(json: string): SessionEntry[] {
  const out = decode(json);
  assert.ok(out !== null, `rejected ${json}`);
  return out;
}

describe('encodePayload', () => {
  it('writes [data, audience, subject] and omits an undefined subject (never null)', () => {
    const out = encodePayload(
      [
        { data: { quote: 'Lorem ipsum dolor sit amet' }, audience: 'my_application', subject: 'Lua Fan' },
        { data: {}, audience: 'default' },
        { data: { a: 1 }, audience: 'other', subject: undefined },
      ],
      0,
    );
    assert.equal(out.deflated, false);
    assert.equal(
      text(out.bytes),
      '[[{"quote":"Lorem ipsum dolor sit amet"},"my_application","Lua Fan"],[{},"default"],[{"a":1},"other"]]',
    );
    assert.doesNotMatch(text(out.bytes), /null/);
  });

  it('writes an empty subject string (only undefined is omitted)', () => {
    assert.equal(text(encodePayload([{ data: {}, audience: 'a', subject: '' }], 0).bytes), '[[{},"a",""]]');
  });

  it('deflates only when the JSON is longer than the threshold', () => {
    const entries: SessionEntry[] = [{ data: { blob: 'abcdefghij'.repeat(20) }, audience: 'default' }];
    const json = encoder.encode(JSON.stringify([[entries[0]!.data, 'default']]));
    const n = json.length;
    assert.ok(deflateRaw(json).length < n, 'precondition: compressible');

    const atThreshold = encodePayload(entries, n);
    assert.equal(atThreshold.deflated, false);
    assert.equal(hex(atThreshold.bytes), hex(json));

    const above = encodePayload(entries, n - 1);
    assert.equal(above.deflated, true);
    assert.ok(above.bytes.length < n);
    assert.equal(hex(inflateRawSync(above.bytes)), hex(json));
    assert.equal(hex(encodePayload(entries, 1).bytes), hex(above.bytes));
  });

  it('threshold 0 never deflates', () => {
    const entries: SessionEntry[] = [{ data: { blob: 'a'.repeat(100_000) }, audience: 'default' }];
    const out = encodePayload(entries, 0);
    assert.equal(out.deflated, false);
    assert.equal(text(out.bytes), JSON.stringify([[entries[0]!.data, 'default']]));
  });

  it('keeps random hex above the threshold undeflated when deflate does not make it smaller', () => {
    // Longer random hex does compress (4 bits of entropy per byte); short strings cost more in deflate's
    // block overhead than Huffman coding saves.
    const r = prng(1);
    let checked = 0;
    let equal = 0;
    for (let i = 0; i < 500; i++) {
      const entries: SessionEntry[] = [{ data: { k: r.hex(8 + r.int(40)) }, audience: 'a' }];
      const json = encoder.encode(JSON.stringify([[entries[0]!.data, 'a']]));
      const deflatedLength = deflateRaw(json).length;
      const out = encodePayload(entries, 10);
      if (deflatedLength >= json.length) {
        checked++;
        if (deflatedLength === json.length) equal++;
        assert.equal(out.deflated, false, `deflated ${text(json)} (${deflatedLength} >= ${json.length})`);
        assert.equal(hex(out.bytes), hex(json));
      } else {
        assert.equal(out.deflated, true);
        assert.equal(out.bytes.length, deflatedLength);
      }
    }
    assert.ok(checked >= 50, `only ${checked} incompressible samples`);
    assert.ok(equal >= 1, 'no sample where deflate gives exactly the same length');
  });
});

describe('decodePayload', () => {
  it('round-trips encodePayload, deflated or not', () => {
    const entries: SessionEntry[] = [
      { data: { quote: 'Lorem ipsum dolor sit amet', n: 3.5, nested: { list: [1, 'two', null, true] } }, audience: 'my_application', subject: 'Lua Fan' },
      { data: { unicode: 'héllo ✓ \u{1F600}', slash: 'a/b', empty: '' }, audience: 'second_app' },
      { data: { blob: 'xyz'.repeat(2000) }, audience: 'third', subject: 'someone' },
    ];
    const expected = entries.map((e) => ({ data: e.data, audience: e.audience, subject: e.subject }));
    for (const threshold of [0, 1024]) {
      const out = encodePayload(entries, threshold);
      assert.equal(out.deflated, threshold !== 0);
      const back = decodePayload(out.bytes, out.deflated, LIMIT);
      assert.deepEqual(back, expected);
    }
  });

  it('accepts \\/ escapes (lua-cjson escapes slashes)', () => {
    const [entry] = entriesOf('[[{"url":"https:\\/\\/example.com\\/a"},"my_application","Lua Fan"]]');
    assert.equal(entry?.data['url'], 'https://example.com/a');
    assert.equal(entry?.subject, 'Lua Fan');
  });

  it('accepts a null subject and treats it as absent', () => {
    const entries = entriesOf('[[{"a":1},"default",null]]');
    assert.deepEqual(entries, [{ data: { a: 1 }, audience: 'default', subject: undefined }]);
    assert.equal(entries[0]?.subject, undefined);
    assert.equal(text(encodePayload(entries, 0).bytes), '[[{"a":1},"default"]]');
  });

  it('rejects plaintext that is not a non-empty array', () => {
    for (const json of ['{}', '"x"', '1', 'null', 'true', '[]', '{"0":[{},"a"]}']) assert.equal(decode(json), null, json);
  });

  it('rejects entries of the wrong shape', () => {
    for (const json of [
      '[1]',
      '[null]',
      '["x"]',
      '[{}]',
      '[[]]',
      '[[{}]]',
      '[[{},"a","s","extra"]]',
      '[[[],"a"]]',
      '[[null,"a"]]',
      '[["x","a"]]',
      '[[1,"a"]]',
      '[[{},1]]',
      '[[{},null]]',
      '[[{},"a",1]]',
      '[[{},"a",{}]]',
      '[[{},"a",false]]',
      '[[{},"a"],5]',
      '[[{},"a"],[{},2]]',
    ]) {
      assert.equal(decode(json), null, json);
    }
    assert.ok(decode('[[{},"a"],[{},"b","s"]]') !== null, 'positive control');
  });

  it('rejects invalid UTF-8', () => {
    const wrap = (bytes: number[]): Uint8Array =>
      new Uint8Array([...encoder.encode('[[{"a":"'), ...bytes, ...encoder.encode('"},"d"]]')]);
    assert.ok(decode(wrap([0x61])) !== null, 'positive control');
    for (const bad of [[0xff], [0xc3], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      assert.equal(decode(wrap(bad)), null, hex(new Uint8Array(bad)));
    }
  });

  it('rejects invalid JSON', () => {
    for (const json of ['', ' ', '[[{},"a"]', '[[{},"a"]]x', "[[{},'a']]", '[[{a:1},"a"]]', '[[{},"a",]]', 'NaN']) {
      assert.equal(decode(json), null, JSON.stringify(json));
    }
  });

  it('rejects plaintext flagged as deflated that is not valid DEFLATE', () => {
    assert.equal(decode('[[{},"a"]]', true), null);
  });

  it('keeps a __proto__ key as an own property without changing the prototype', () => {
    const json = '[[{"__proto__":{"polluted":true},"a":2},"default"]]';
    const entries = entriesOf(json);
    const data = entries[0]!.data;
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.ok(Object.hasOwn(data, '__proto__'));
    assert.equal((data as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(data, '__proto__')?.value, { polluted: true });
    const out = encodePayload(entries, 0);
    assert.equal(text(out.bytes), json);
    const again = decodePayload(out.bytes, false, LIMIT);
    assert.ok(again !== null && Object.hasOwn(again[0]!.data, '__proto__'));
    assert.equal(Object.getPrototypeOf(again[0]!.data), Object.prototype);
  });
});

describe('inflateRaw / deflateRaw', () => {
  it('rejects output past the limit (1 MiB of zeros, limit 64 KiB)', () => {
    const bomb = new Uint8Array(deflateRawSync(Buffer.alloc(1024 * 1024)));
    assert.ok(bomb.length < 2048);
    assert.equal(inflateRaw(bomb, 64 * 1024), null);
    assert.equal(inflateRaw(bomb, 1024 * 1024 - 1), null);
    const full = inflateRaw(bomb, 1024 * 1024);
    assert.ok(full !== null);
    assert.equal(full.length, 1024 * 1024);
    assert.ok(full.every((b) => b === 0));
    assert.equal(decodePayload(bomb, true, 64 * 1024), null);
  });

  it('returns null (never throws) for garbage and truncated streams', () => {
    const good = new Uint8Array(deflateRawSync(Buffer.from('hello hello hello hello, a deflated string'.repeat(10))));
    assert.ok(inflateRaw(good, LIMIT) !== null, 'positive control');
    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0xff, 0xff, 0xff, 0xff]), // reserved block type
      new Uint8Array([0x07]), // reserved block type, final
      good.subarray(0, good.length - 3),
      good.subarray(0, 1),
      encoder.encode('[[{},"a"]]'),
    ];
    for (const g of garbage) assert.equal(inflateRaw(g, LIMIT), null, hex(g));
  });

  it('inflates node:zlib deflateRawSync output to the same bytes', () => {
    const r = prng(2);
    const inputs = [
      new Uint8Array(0),
      encoder.encode('a'),
      encoder.encode(JSON.stringify([[{ blob: 'abcdefghij'.repeat(200) }, 'my_application', 'Lua Fan']])),
      encoder.encode(r.hex(50_000)),
      new Uint8Array(Buffer.alloc(300_000, 'xyz')),
    ];
    for (const input of inputs) {
      for (const level of [1, 6, 9]) {
        const out = inflateRaw(new Uint8Array(deflateRawSync(input, { level })), LIMIT);
        assert.ok(out !== null);
        assert.equal(hex(out), hex(input), `length ${input.length} level ${level}`);
      }
    }
  });

  it('deflateRaw output inflates with node:zlib inflateRawSync', () => {
    const r = prng(3);
    const inputs = [
      new Uint8Array(0),
      encoder.encode('a'),
      encoder.encode(JSON.stringify([[{ blob: 'abcdefghij'.repeat(200) }, 'my_application', 'Lua Fan']])),
      encoder.encode(r.hex(50_000)),
      new Uint8Array(Buffer.alloc(300_000, 'xyz')),
    ];
    for (const input of inputs) {
      const deflated = deflateRaw(input);
      assert.equal(hex(inflateRawSync(deflated)), hex(input), `length ${input.length}`);
      const back = inflateRaw(deflated, LIMIT);
      assert.ok(back !== null);
      assert.equal(hex(back), hex(input));
    }
  });
});
