/**
 * The keyed HMAC used for HKDF-Expand (key pads hashed once, state reused between calls) against
 * node:crypto's `createHmac`, for both backends.
 */
import * as nodeCrypto from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCrypto, nobleCrypto } from '../../src/codec/crypto.ts';
import { hmacSha256, keyedHmacSha256 } from '../../src/codec/sha256.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const reference = (key: Uint8Array, data: Uint8Array, more?: Uint8Array): string => {
  const h = nodeCrypto.createHmac('sha256', key).update(data);
  if (more !== undefined) h.update(more);
  return h.digest('hex');
};

describe('HMAC-SHA256 in JS (one-shot and keyed)', () => {
  it('equals createHmac for keys and messages of many lengths, over repeated calls on one key', () => {
    for (const keyLength of [0, 1, 31, 32, 33, 64, 65, 100]) {
      const key = nodeCrypto.randomBytes(keyLength);
      const prf = keyedHmacSha256(key);
      // Every length to 300: each padding case (55/56/63/64 bytes past a block boundary) is crossed.
      for (let n = 0; n <= 300; n++) {
        const data = nodeCrypto.randomBytes(n);
        const more = nodeCrypto.randomBytes(n % 5);
        assert.equal(hex(prf(data)), reference(key, data), `key ${keyLength}, data ${n}`);
        assert.equal(hex(prf(data, more)), reference(key, data, more), `key ${keyLength}, data ${n} + ${more.length}`);
        // The one-shot form, interleaved with the keyed one (they share scratch space).
        assert.equal(hex(hmacSha256(key, data, more)), reference(key, data, more), `one-shot: key ${keyLength}, data ${n} + ${more.length}`);
        assert.equal(hex(prf(more, data)), reference(key, more, data), `keyed after one-shot: key ${keyLength}, data ${n}`);
      }
    }
  });

  it('equals createHmac on 2,000 random keys and messages', () => {
    for (let i = 0; i < 2000; i++) {
      const key = nodeCrypto.randomBytes(nodeCrypto.randomInt(0, 130));
      const data = nodeCrypto.randomBytes(nodeCrypto.randomInt(0, 260));
      const more = i % 2 === 0 ? undefined : nodeCrypto.randomBytes(nodeCrypto.randomInt(0, 70));
      assert.equal(hex(keyedHmacSha256(key)(data, more)), reference(key, data, more));
      assert.equal(hex(hmacSha256(key, data, more)), reference(key, data, more));
    }
  });

  it('returns a fresh array per call, and two keyed instances do not interfere', () => {
    const a = keyedHmacSha256(new Uint8Array(32).fill(1));
    const b = keyedHmacSha256(new Uint8Array(32).fill(2));
    const data = new Uint8Array([1, 2, 3]);
    const first = a(data);
    const expected = hex(first);
    first.fill(0);
    assert.equal(hex(b(data)), reference(new Uint8Array(32).fill(2), data));
    assert.equal(hex(a(data)), expected);
  });

  it('both backends offer it, equal to their own hmacSha256', () => {
    const key = nodeCrypto.randomBytes(32);
    const data = nodeCrypto.randomBytes(47);
    const more = new Uint8Array([1]);
    for (const backend of [nobleCrypto, createNodeCrypto(nodeCrypto)]) {
      assert.equal(hex(backend.hmacSha256With!(key)(data, more)), hex(backend.hmacSha256(key, data, more)), backend.name);
    }
  });
});
