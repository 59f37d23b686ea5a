/**
 * The native (Node `Buffer`) base64url path against the portable loops it replaces on Node: the same bytes
 * for every canonical text, and `null` for exactly the same non-canonical ones.
 */
import * as nodeCrypto from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64urlDecode, base64urlDecodePortable, base64urlEncode, base64urlEncodePortable } from '../../src/codec/base64url.ts';

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));

describe('base64url: native and portable agree', () => {
  it('encode: every length from 0 to 300, random bytes, and views into larger buffers', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = nodeCrypto.randomBytes(n + 8).subarray(3, 3 + n);
      assert.equal(base64urlEncode(bytes), base64urlEncodePortable(bytes), `length ${n}`);
    }
  });

  it('decode: the encodings of random bytes, and every one-character change of them', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const odd = ['+', '/', '=', ' ', '\t', '\n', '.', '\u0000', '\u00ff', '\u0100', '\u2028', '\ud800', 'é', '💥'];
    for (let n = 0; n <= 20; n++) {
      const text = base64urlEncodePortable(nodeCrypto.randomBytes(n));
      assert.equal(hex(base64urlDecode(text)), hex(base64urlDecodePortable(text)), text);
      for (let i = 0; i < text.length; i++) {
        for (const c of [...alphabet.slice(0, 8), ...odd]) {
          const changed = text.slice(0, i) + c + text.slice(i + 1);
          assert.equal(hex(base64urlDecode(changed)), hex(base64urlDecodePortable(changed)), JSON.stringify(changed));
        }
      }
      for (const extra of [...odd, 'A', 'AA', 'AAA', '==', '=']) {
        for (const changed of [text + extra, extra + text]) {
          assert.equal(hex(base64urlDecode(changed)), hex(base64urlDecodePortable(changed)), JSON.stringify(changed));
        }
      }
    }
  });

  it('decode: random strings over a wider alphabet, every length mod 4', () => {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= ';
    for (let i = 0; i < 5000; i++) {
      const len = i % 23;
      let text = '';
      for (let j = 0; j < len; j++) text += chars[nodeCrypto.randomInt(i % 3 === 0 ? chars.length : 64)];
      assert.equal(hex(base64urlDecode(text)), hex(base64urlDecodePortable(text)), JSON.stringify(text));
    }
  });

  it('decode: long texts (the native path) and every one-character change near both ends', () => {
    for (const n of [383, 384, 385, 386, 1000, 4096]) {
      const text = base64urlEncodePortable(nodeCrypto.randomBytes(n));
      assert.equal(hex(base64urlDecode(text)), hex(base64urlDecodePortable(text)), `${n} bytes`);
      for (const i of [0, 1, text.length - 2, text.length - 1]) {
        for (const c of ['A', 'B', '+', '/', '=', ' ', '\u0100']) {
          const changed = text.slice(0, i) + c + text.slice(i + 1);
          assert.equal(hex(base64urlDecode(changed)), hex(base64urlDecodePortable(changed)), `${n} bytes, ${JSON.stringify(c)} at ${i}`);
        }
      }
      for (const changed of [`${text}A`, `${text}AA`, `${text}=`, ` ${text}`, text.slice(1)]) {
        assert.equal(hex(base64urlDecode(changed)), hex(base64urlDecodePortable(changed)), `${n} bytes, length ${changed.length}`);
      }
    }
  });

  it('decode returns a fresh array, never a view of a shared pool', () => {
    for (const text of ['3q2-7w', base64urlEncodePortable(nodeCrypto.randomBytes(2000))]) {
      const out = base64urlDecode(text)!;
      assert.equal(out.byteOffset, 0);
      assert.equal(out.buffer.byteLength, out.length);
      assert.ok(!Buffer.isBuffer(out), 'a plain Uint8Array: Buffer#slice would not copy');
    }
    assert.equal(hex(base64urlDecode('3q2-7w')!), 'deadbeef');
  });
});
