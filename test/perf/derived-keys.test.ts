/**
 * The derived-key cache (codec/keys.ts): per key material and backend, keyed by the exact session id
 * bytes, bounded, and handing out copies, so that it changes no result.
 */
import * as nodeCrypto from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCrypto, nobleCrypto } from '../../src/codec/crypto.ts';
import {
  clearDerivedKeys,
  deriveEncryptionKey,
  deriveMacKey,
  DERIVED_KEYS_CACHE_SIZE,
  derivedKeysCached,
  ikmFromSecret,
  keyMaterial,
  stopDerivedKeyCache,
} from '../../src/codec/keys.ts';

const node = createNodeCrypto(nodeCrypto);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** HKDF-Expand straight from node:crypto, as the reference. */
function expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  let t = new Uint8Array(0);
  const out: Uint8Array[] = [];
  for (let i = 1; out.length * 32 < length; i++) {
    t = new Uint8Array(nodeCrypto.createHmac('sha256', prk).update(t).update(info).update(new Uint8Array([i])).digest());
    out.push(t);
  }
  return new Uint8Array(Buffer.concat(out)).subarray(0, length);
}

describe('derived-key cache', () => {
  it('a hit gives the same keys as the derivation (checked against node:crypto HKDF)', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-0123456789'));
    const sid = nodeCrypto.randomBytes(32);
    for (let round = 0; round < 3; round++) {
      const mac = deriveMacKey(node, material, sid);
      const key = deriveEncryptionKey(node, material, sid);
      assert.equal(hex(mac), hex(expand(material.prk, Buffer.concat([enc('authentication:'), sid]), 32)));
      const okm = expand(material.prk, Buffer.concat([enc('encryption:'), sid]), 44);
      assert.equal(hex(key.key), hex(okm.subarray(0, 32)));
      assert.equal(hex(key.iv), hex(okm.subarray(32, 44)));
    }
    assert.deepEqual(derivedKeysCached(node, material), { mac: 1, encryption: 1 });
  });

  it('hits only on the exact session id bytes: a one-bit difference derives other keys', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-exact-bytes'));
    const sid = nodeCrypto.randomBytes(32);
    const mac = hex(deriveMacKey(node, material, sid));
    const key = hex(deriveEncryptionKey(node, material, sid).key);
    for (let bit = 0; bit < 256; bit += 37) {
      const other = Uint8Array.from(sid);
      other[bit >>> 3]! ^= 1 << (bit & 7);
      assert.notEqual(hex(deriveMacKey(node, material, other)), mac);
      assert.notEqual(hex(deriveEncryptionKey(node, material, other).key), key);
    }
    // Ids of other lengths are other keys too (a prefix or an extension of a cached id).
    assert.notEqual(hex(deriveMacKey(node, material, sid.subarray(0, 31))), mac);
    assert.notEqual(hex(deriveMacKey(node, material, Buffer.concat([sid, new Uint8Array(1)]))), mac);
  });

  it('a hit hands out fresh arrays: changing one changes nothing for the next caller', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-copies-0000'));
    const sid = nodeCrypto.randomBytes(32);
    const first = deriveMacKey(node, material, sid);
    const expected = hex(first);
    first.fill(0);
    const second = deriveMacKey(node, material, sid);
    assert.equal(hex(second), expected);
    assert.notEqual(second, first);
    const k1 = deriveEncryptionKey(node, material, sid);
    const kExpected = [hex(k1.key), hex(k1.iv)];
    k1.key.fill(1);
    k1.iv.fill(2);
    const k2 = deriveEncryptionKey(node, material, sid);
    assert.deepEqual([hex(k2.key), hex(k2.iv)], kExpected);
  });

  it('is bounded per key material', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-bounded-000'));
    for (let i = 0; i < DERIVED_KEYS_CACHE_SIZE + 50; i++) {
      const sid = new Uint8Array(32);
      new DataView(sid.buffer).setUint32(0, i);
      deriveMacKey(node, material, sid);
      deriveEncryptionKey(node, material, sid);
    }
    const cached = derivedKeysCached(node, material);
    for (const n of [cached.mac, cached.encryption]) assert.ok(n >= DERIVED_KEYS_CACHE_SIZE / 2 && n <= DERIVED_KEYS_CACHE_SIZE, `${n} cached`);
    assert.equal(clearDerivedKeys(node, material), cached.mac + cached.encryption);
    assert.deepEqual(derivedKeysCached(node, material), { mac: 0, encryption: 0 });
    assert.equal(clearDerivedKeys(node, keyMaterial(node, new Uint8Array(32))), 0, 'a material never used has nothing cached');
  });

  it('keeps backends apart, so a cross-check of two backends on one material really derives twice', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-backends-00'));
    const sid = nodeCrypto.randomBytes(32);
    const fromNode = deriveMacKey(node, material, sid);
    assert.deepEqual(derivedKeysCached(nobleCrypto, material), { mac: 0, encryption: 0 });
    const fromNoble = deriveMacKey(nobleCrypto, material, sid);
    assert.equal(hex(fromNoble), hex(fromNode));
    assert.deepEqual(derivedKeysCached(nobleCrypto, material), { mac: 1, encryption: 0 });
  });

  it('keeps key materials apart: the same id under another secret derives other keys', () => {
    const a = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-material-a0'));
    const b = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-material-b0'));
    const sid = nodeCrypto.randomBytes(32);
    assert.notEqual(hex(deriveMacKey(node, a, sid)), hex(deriveMacKey(node, b, sid)));
    assert.notEqual(hex(deriveEncryptionKey(node, a, sid).key), hex(deriveEncryptionKey(node, b, sid).key));
  });

  it('ids longer than 64 bytes (never ours) are derived without the cache', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-long-ids-00'));
    const sid = nodeCrypto.randomBytes(65);
    const mac = deriveMacKey(node, material, sid);
    const key = deriveEncryptionKey(node, material, sid);
    assert.equal(hex(mac), hex(expand(material.prk, Buffer.concat([enc('authentication:'), sid]), 32)));
    assert.equal(hex(key.key), hex(expand(material.prk, Buffer.concat([enc('encryption:'), sid]), 44).subarray(0, 32)));
    assert.deepEqual(derivedKeysCached(node, material), { mac: 0, encryption: 0 });
  });

  it('once stopped, derives every time and caches nothing, with the same results', () => {
    const material = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-stopped-000'));
    const sid = nodeCrypto.randomBytes(32);
    const mac = hex(deriveMacKey(node, material, sid));
    const key = hex(deriveEncryptionKey(node, material, sid).key);
    assert.deepEqual(derivedKeysCached(node, material), { mac: 1, encryption: 1 });
    stopDerivedKeyCache(node, material);
    stopDerivedKeyCache(node, material); // idempotent
    assert.deepEqual(derivedKeysCached(node, material), { mac: 0, encryption: 0 });
    for (let i = 0; i < 3; i++) {
      assert.equal(hex(deriveMacKey(node, material, sid)), mac);
      assert.equal(hex(deriveEncryptionKey(node, material, sid).key), key);
    }
    assert.deepEqual(derivedKeysCached(node, material), { mac: 0, encryption: 0 });
    // Only that material, only that backend.
    const other = keyMaterial(node, ikmFromSecret(node, 'derived-key-cache-secret-stopped-001'));
    deriveMacKey(node, other, sid);
    deriveMacKey(nobleCrypto, material, sid);
    assert.deepEqual(derivedKeysCached(node, other), { mac: 1, encryption: 0 });
    assert.deepEqual(derivedKeysCached(nobleCrypto, material), { mac: 1, encryption: 0 });
  });
});
