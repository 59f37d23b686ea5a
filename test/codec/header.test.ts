/**
 * The 82-byte header: little-endian packing at the spec's offsets, field extremes, and parseHeader's
 * rejection of short, non-base64url and wrongly typed values.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import {
  AAD_SIZE,
  COOKIE_TYPE,
  Flags,
  HEADER_SIZE,
  HEADER_TEXT_SIZE,
  Limits,
  MAC_INPUT_SIZE,
  readHeader,
  writeHeaderPrefix,
  writeUint,
} from '../../src/codec/header.ts';
import { parseHeader } from '../../src/codec/seal.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Fields {
  flags: number;
  sid: Uint8Array;
  creationTime: number;
  rollingOffset: number;
  dataSize: number;
  tag: Uint8Array;
  idlingOffset: number;
  mac: Uint8Array;
}

function build(f: Fields, type = COOKIE_TYPE): Uint8Array {
  const bytes = writeHeaderPrefix(f.flags, f.sid, f.creationTime, f.rollingOffset, f.dataSize);
  assert.equal(bytes.length, HEADER_SIZE);
  bytes[0] = type;
  bytes.set(f.tag, 47);
  writeUint(bytes, 63, 3, f.idlingOffset);
  bytes.set(f.mac, 66);
  return bytes;
}

function assertFields(bytes: Uint8Array, f: Fields, type = COOKIE_TYPE): void {
  const h = readHeader(bytes);
  assert.equal(h.type, type);
  assert.equal(h.flags, f.flags);
  assert.equal(hex(h.sid), hex(f.sid));
  assert.equal(h.creationTime, f.creationTime);
  assert.equal(h.rollingOffset, f.rollingOffset);
  assert.equal(h.dataSize, f.dataSize);
  assert.equal(hex(h.tag), hex(f.tag));
  assert.equal(h.idlingOffset, f.idlingOffset);
  assert.equal(hex(h.mac), hex(f.mac));
  // Cross-check the layout with Buffer's own little-endian readers at the spec offsets.
  const b = Buffer.from(bytes);
  assert.equal(b.readUInt16LE(1), f.flags);
  assert.equal(b.readUIntLE(35, 5), f.creationTime);
  assert.equal(b.readUInt32LE(40), f.rollingOffset);
  assert.equal(b.readUIntLE(44, 3), f.dataSize);
  assert.equal(b.readUIntLE(63, 3), f.idlingOffset);
}

const zeros: Fields = {
  flags: 0,
  sid: new Uint8Array(32),
  creationTime: 0,
  rollingOffset: 0,
  dataSize: 0,
  tag: new Uint8Array(16),
  idlingOffset: 0,
  mac: new Uint8Array(16),
};
const maxima: Fields = {
  flags: 0xffff,
  sid: new Uint8Array(32).fill(0xff),
  creationTime: 2 ** 40 - 1,
  rollingOffset: 2 ** 32 - 1,
  dataSize: 2 ** 24 - 1,
  tag: new Uint8Array(16).fill(0xff),
  idlingOffset: 2 ** 24 - 1,
  mac: new Uint8Array(16).fill(0xff),
};

describe('header constants', () => {
  it('match the spec', () => {
    assert.equal(HEADER_SIZE, 82);
    assert.equal(HEADER_TEXT_SIZE, 110);
    assert.equal(AAD_SIZE, 47);
    assert.equal(MAC_INPUT_SIZE, 66);
    assert.equal(COOKIE_TYPE, 1);
    assert.deepEqual(
      { ...Limits },
      { creationTime: 2 ** 40 - 1, rollingOffset: 2 ** 32 - 1, idlingOffset: 2 ** 24 - 1, dataSize: 2 ** 24 - 1 },
    );
    assert.deepEqual(
      { ...Flags },
      { storage: 0x1, forget: 0x2, deflate: 0x10, bindIp: 0x100, bindScheme: 0x200, bindUserAgent: 0x400 },
    );
  });
});

describe('writeUint / readHeader', () => {
  it('round-trips all-zero fields', () => {
    const bytes = build(zeros);
    assertFields(bytes, zeros);
    assert.equal(hex(bytes), `01${'00'.repeat(81)}`);
  });

  it('round-trips the maximum of every field', () => {
    const bytes = build(maxima);
    assertFields(bytes, maxima);
    assert.equal(hex(bytes), `01${'ff'.repeat(81)}`);
  });

  it('round-trips each field at its maximum with every other field zero (no spill into neighbours)', () => {
    for (const key of Object.keys(maxima) as (keyof Fields)[]) {
      const f = { ...zeros, [key]: maxima[key] } as Fields;
      assertFields(build(f), f);
    }
    for (const key of Object.keys(zeros) as (keyof Fields)[]) {
      const f = { ...maxima, [key]: zeros[key] } as Fields;
      assertFields(build(f), f);
    }
  });

  it('packs little-endian at the spec offsets', () => {
    const f: Fields = {
      flags: 0x0102,
      sid: new Uint8Array(randomBytes(32)),
      creationTime: 0x0a0b0c0d0e,
      rollingOffset: 0x11121314,
      dataSize: 0x212223,
      tag: new Uint8Array(randomBytes(16)),
      idlingOffset: 0x313233,
      mac: new Uint8Array(randomBytes(16)),
    };
    const bytes = build(f);
    assert.equal(hex(bytes.subarray(0, 3)), '010201');
    assert.equal(hex(bytes.subarray(3, 35)), hex(f.sid));
    assert.equal(hex(bytes.subarray(35, 40)), '0e0d0c0b0a');
    assert.equal(hex(bytes.subarray(40, 44)), '14131211');
    assert.equal(hex(bytes.subarray(44, 47)), '232221');
    assert.equal(hex(bytes.subarray(47, 63)), hex(f.tag));
    assert.equal(hex(bytes.subarray(63, 66)), '333231');
    assert.equal(hex(bytes.subarray(66, 82)), hex(f.mac));
    assertFields(bytes, f);
  });

  it('round-trips random field values', () => {
    for (let i = 0; i < 200; i++) {
      const r = randomBytes(16);
      const f: Fields = {
        flags: r.readUInt16LE(0),
        sid: new Uint8Array(randomBytes(32)),
        creationTime: r.readUIntLE(2, 5),
        rollingOffset: r.readUInt32LE(7),
        dataSize: r.readUIntLE(11, 3),
        tag: new Uint8Array(randomBytes(16)),
        idlingOffset: r.readUIntLE(13, 3),
        mac: new Uint8Array(randomBytes(16)),
      };
      assertFields(build(f), f);
    }
  });

  it('writeUint truncates to the field width like utils.bpack', () => {
    const bytes = new Uint8Array(8);
    writeUint(bytes, 1, 3, 2 ** 24 + 5);
    assert.equal(hex(bytes), '0005000000000000');
    writeUint(bytes, 2, 5, 2 ** 40 + 2 ** 32);
    assert.equal(hex(bytes), '0005000000000100');
  });
});

describe('parseHeader', () => {
  const valid: Fields = {
    ...zeros,
    flags: Flags.deflate,
    sid: new Uint8Array(randomBytes(32)),
    creationTime: 1700000000,
    dataSize: 92,
    tag: new Uint8Array(randomBytes(16)),
    idlingOffset: 120,
    mac: new Uint8Array(randomBytes(16)),
  };
  const bytes = build(valid);
  const text = base64urlEncode(bytes);

  it('decodes a 110-char header, alone or followed by a payload', () => {
    assert.equal(text.length, 110);
    for (const value of [text, `${text}W1t7fSwiZGVmYXVsdCJdXQ`, `${text}!!! not even base64 !!!`]) {
      const h = parseHeader(value);
      assert.ok(h !== null);
      assertFields(h.bytes, valid);
      assert.equal(h.creationTime, 1700000000);
      assert.equal(h.idlingOffset, 120);
      assert.equal(hex(h.bytes), hex(bytes));
    }
  });

  it('returns null for a value shorter than 110 chars', () => {
    assert.equal(parseHeader(''), null);
    assert.equal(parseHeader(text.slice(0, 109)), null);
    assert.equal(parseHeader(text.slice(0, 108)), null); // 108 chars decode to 81 bytes
    assert.equal(parseHeader(text.slice(0, 100)), null);
  });

  it('returns null for non-base64url header text', () => {
    for (const pos of [0, 1, 50, 108, 109]) {
      for (const bad of ['+', '/', '=', '!', ' ', 'é']) {
        const value = text.slice(0, pos) + bad + text.slice(pos + 1);
        assert.equal(parseHeader(value), null, `${bad} at ${pos}`);
        assert.equal(parseHeader(`${value}AAAA`), null, `${bad} at ${pos}, with payload`);
      }
    }
    // 82 bytes leave 4 spare bits in the last char: any of them set is a non-canonical spelling.
    const last = text.charCodeAt(109);
    assert.ok('AQgw'.includes(text[109]!));
    const alias = text.slice(0, 109) + String.fromCharCode(last + 1);
    assert.equal(Buffer.from(alias, 'base64url').toString('hex'), hex(bytes));
    assert.equal(parseHeader(alias), null);
  });

  it('returns null for cookie types other than 1', () => {
    for (const type of [0, 2, 3, 0x81, 255]) {
      const value = base64urlEncode(build(valid, type));
      assert.equal(parseHeader(value), null, `type ${type}`);
    }
    assert.ok(parseHeader(base64urlEncode(build(valid, 1))) !== null, 'positive control');
  });
});
