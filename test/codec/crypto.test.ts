/**
 * The two crypto backends against each other, against node:crypto used directly and against @noble/hashes'
 * own HKDF, on seeded random inputs.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  constantTimeEqual,
  createNodeCrypto,
  defaultCrypto,
  nobleCrypto,
  pbkdf2SyncNoble,
  type CryptoBackend,
} from '../../src/codec/crypto.ts';
import {
  REMEMBER_ITERATIONS,
  deriveEncryptionKey,
  deriveMacKey,
  deriveRememberKey,
  keyMaterial,
  type RememberSafety,
} from '../../src/codec/keys.ts';

const ITERATIONS = 200;
const node = createNodeCrypto(await import('node:crypto'));
const backends: readonly CryptoBackend[] = [nobleCrypto, node];

/** A small seeded PRNG (mulberry32), so that a failure can be replayed. */
function prng(seed: number): { int(max: number): number; bytes(n: number): Uint8Array } {
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
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = next() & 255;
      return out;
    },
  };
}

const hex = (b: Uint8Array | ArrayBuffer): string => Buffer.from(b as Uint8Array).toString('hex');
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const ENCRYPTION = new TextEncoder().encode('encryption:');
const AUTHENTICATION = new TextEncoder().encode('authentication:');

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >>> 3]! ^= 1 << (bit & 7);
  return out;
}

describe('backends', () => {
  it('defaultCrypto() is the node:crypto backend on Node', () => {
    assert.equal(defaultCrypto().name, 'node');
    assert.equal(defaultCrypto(), defaultCrypto());
    assert.equal(nobleCrypto.name, 'noble');
    assert.equal(node.name, 'node');
  });
});

describe('sha256', () => {
  it('both backends equal node:crypto createHash on random inputs', () => {
    const r = prng(1);
    for (let i = 0; i < ITERATIONS; i++) {
      const data = r.bytes(r.int(300));
      const expected = nodeCrypto.createHash('sha256').update(data).digest('hex');
      for (const b of backends) {
        const out = b.sha256(data);
        assert.ok(out instanceof Uint8Array);
        assert.equal(hex(out), expected, `${b.name} sha256 of ${hex(data)}`);
      }
    }
  });
});

describe('hmacSha256', () => {
  it('both backends equal node:crypto createHmac, without `more`', () => {
    const r = prng(2);
    for (let i = 0; i < ITERATIONS; i++) {
      const key = r.bytes(r.int(130)); // includes keys longer than the 64-byte block
      const data = r.bytes(r.int(300));
      const expected = nodeCrypto.createHmac('sha256', key).update(data).digest('hex');
      for (const b of backends) assert.equal(hex(b.hmacSha256(key, data)), expected, b.name);
    }
  });

  it('both backends equal HMAC(key, data || more) with `more`', () => {
    const r = prng(3);
    for (let i = 0; i < ITERATIONS; i++) {
      const key = r.bytes(r.int(130));
      const data = r.bytes(r.int(200));
      const more = r.bytes(r.int(100));
      const expected = nodeCrypto.createHmac('sha256', key).update(concat(data, more)).digest('hex');
      for (const b of backends) {
        assert.equal(hex(b.hmacSha256(key, data, more)), expected, b.name);
        if (more.length > 0) assert.notEqual(hex(b.hmacSha256(key, data)), expected, `${b.name} ignored more`);
      }
    }
  });
});

describe('AES-256-GCM', () => {
  interface Sample {
    key: Uint8Array;
    iv: Uint8Array;
    plaintext: Uint8Array;
    aad: Uint8Array;
  }
  const samples: Sample[] = [];
  const r = prng(4);
  for (let i = 0; i < ITERATIONS; i++) {
    samples.push({ key: r.bytes(32), iv: r.bytes(12), plaintext: r.bytes(r.int(300)), aad: r.bytes(r.int(100)) });
  }

  function nodeEncrypt(s: Sample): { ciphertext: string; tag: string } {
    const c = nodeCrypto.createCipheriv('aes-256-gcm', s.key, s.iv);
    c.setAAD(s.aad);
    const ciphertext = Buffer.concat([c.update(s.plaintext), c.final()]);
    return { ciphertext: ciphertext.toString('hex'), tag: c.getAuthTag().toString('hex') };
  }

  it('both backends produce the same ciphertext and tag as node:crypto', () => {
    for (const s of samples) {
      const expected = nodeEncrypt(s);
      for (const b of backends) {
        const out = b.encrypt(s.key, s.iv, s.plaintext, s.aad);
        assert.equal(out.ciphertext.length, s.plaintext.length);
        assert.equal(out.tag.length, 16);
        assert.equal(hex(out.ciphertext), expected.ciphertext, b.name);
        assert.equal(hex(out.tag), expected.tag, b.name);
      }
    }
  });

  it("each backend decrypts the other's output", () => {
    for (const s of samples) {
      for (const from of backends) {
        const sealed = from.encrypt(s.key, s.iv, s.plaintext, s.aad);
        for (const to of backends) {
          const plain = to.decrypt(s.key, s.iv, sealed.ciphertext, sealed.tag, s.aad);
          assert.ok(plain !== null, `${to.name} could not decrypt ${from.name}`);
          assert.equal(hex(plain), hex(s.plaintext));
        }
      }
    }
  });

  it('decrypt returns null (never throws) for a flipped tag, ciphertext or AAD bit', () => {
    const t = prng(5);
    for (const s of samples) {
      const { ciphertext, tag } = node.encrypt(s.key, s.iv, s.plaintext, s.aad);
      const aad = s.aad.length > 0 ? flipBit(s.aad, t.int(s.aad.length * 8)) : new Uint8Array([0]);
      for (const b of backends) {
        assert.equal(b.decrypt(s.key, s.iv, ciphertext, flipBit(tag, t.int(128)), s.aad), null, `${b.name} tag`);
        if (ciphertext.length > 0) {
          const bad = flipBit(ciphertext, t.int(ciphertext.length * 8));
          assert.equal(b.decrypt(s.key, s.iv, bad, tag, s.aad), null, `${b.name} ciphertext`);
        }
        assert.equal(b.decrypt(s.key, s.iv, ciphertext, tag, aad), null, `${b.name} aad`);
        assert.equal(b.decrypt(flipBit(s.key, t.int(256)), s.iv, ciphertext, tag, s.aad), null, `${b.name} key`);
        assert.equal(b.decrypt(s.key, flipBit(s.iv, t.int(96)), ciphertext, tag, s.aad), null, `${b.name} iv`);
      }
    }
  });

  it('decrypt returns null (never throws) for a tag of the wrong length', () => {
    for (const s of samples.slice(0, 50)) {
      const { ciphertext, tag } = node.encrypt(s.key, s.iv, s.plaintext, s.aad);
      const wrong = [
        new Uint8Array(0),
        tag.slice(0, 4),
        tag.slice(0, 12),
        tag.slice(0, 15),
        concat(tag, new Uint8Array([0])),
        concat(tag, tag),
      ];
      for (const b of backends) {
        for (const w of wrong) assert.equal(b.decrypt(s.key, s.iv, ciphertext, w, s.aad), null, `${b.name} tag ${w.length}`);
      }
    }
  });

  it('a 15-byte truncation of a valid tag ending in 0x00 does not authenticate', () => {
    // Zero-padding a short tag back to 16 bytes would accept it: find a tag whose last byte is 0.
    const t = prng(6);
    const key = t.bytes(32);
    const aad = t.bytes(47);
    let found = 0;
    for (let i = 0; i < 20_000 && found < 3; i++) {
      const iv = t.bytes(12);
      const plaintext = t.bytes(1 + t.int(64));
      const { ciphertext, tag } = node.encrypt(key, iv, plaintext, aad);
      if (tag[15] !== 0) continue;
      found++;
      for (const b of backends) {
        assert.ok(b.decrypt(key, iv, ciphertext, tag, aad) !== null, `${b.name} full tag`);
        assert.equal(b.decrypt(key, iv, ciphertext, tag.subarray(0, 15), aad), null, `${b.name} truncated tag`);
      }
    }
    assert.equal(found, 3);
  });
});

describe('HKDF (deriveEncryptionKey, deriveMacKey)', () => {
  const r = prng(7);
  const inputs: Array<{ ikm: Uint8Array; sid: Uint8Array }> = [];
  for (let i = 0; i < ITERATIONS; i++) inputs.push({ ikm: r.bytes(i % 4 === 0 ? 1 + r.int(80) : 32), sid: r.bytes(32) });

  for (const b of backends) {
    it(`${b.name}: equals node hkdfSync with an empty salt`, () => {
      for (const { ikm, sid } of inputs) {
        const material = keyMaterial(b, ikm);
        const enc = deriveEncryptionKey(b, material, sid);
        const okm = nodeCrypto.hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.concat([Buffer.from('encryption:'), sid]), 44);
        assert.equal(enc.key.length, 32);
        assert.equal(enc.iv.length, 12);
        assert.equal(hex(enc.key) + hex(enc.iv), hex(okm));
        const mac = nodeCrypto.hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.concat([Buffer.from('authentication:'), sid]), 32);
        assert.equal(hex(deriveMacKey(b, material, sid)), hex(mac));
      }
    });

    it(`${b.name}: equals @noble/hashes hkdf`, () => {
      for (const { ikm, sid } of inputs) {
        const material = keyMaterial(b, ikm);
        const enc = deriveEncryptionKey(b, material, sid);
        assert.equal(hex(enc.key) + hex(enc.iv), hex(hkdf(sha256, ikm, undefined, concat(ENCRYPTION, sid), 44)));
        assert.equal(
          hex(deriveMacKey(b, material, sid)),
          hex(hkdf(sha256, ikm, new Uint8Array(0), concat(AUTHENTICATION, sid), 32)),
        );
      }
    });
  }
});

describe('deriveRememberKey (PBKDF2)', () => {
  const expectedIterations: Record<RememberSafety, number> = {
    none: 0,
    low: 1_000,
    medium: 10_000,
    high: 100_000,
    'very-high': 1_000_000,
  };

  it('iteration counts are those of lua-resty-session', () => {
    assert.deepEqual({ ...REMEMBER_ITERATIONS }, expectedIterations);
  });

  const r = prng(8);
  const ikm = r.bytes(32);
  const sid = r.bytes(32);
  const salt = concat(ENCRYPTION, sid);

  for (const level of Object.keys(expectedIterations) as RememberSafety[]) {
    const iterations = expectedIterations[level];
    const backendsForLevel = level === 'low' || level === 'medium' || level === 'none' ? backends : [node];
    for (const b of backendsForLevel) {
      it(`${b.name}: '${level}' equals ${iterations === 0 ? 'the HKDF key' : `pbkdf2Sync with ${iterations} iterations`}`, async () => {
        const material = keyMaterial(b, ikm);
        // Start the backend's derivation first: node's runs on the thread pool while pbkdf2Sync runs here.
        const pending = deriveRememberKey(b, material, sid, level);
        const expected =
          iterations === 0
            ? (() => {
                const k = deriveEncryptionKey(b, material, sid);
                return hex(k.key) + hex(k.iv);
              })()
            : nodeCrypto.pbkdf2Sync(ikm, salt, iterations, 44, 'sha256').toString('hex');
        const key = await pending;
        assert.equal(key.key.length, 32);
        assert.equal(key.iv.length, 12);
        assert.equal(hex(key.key) + hex(key.iv), expected);
        if (iterations !== 0) {
          const hkdfKey = deriveEncryptionKey(b, material, sid);
          assert.notEqual(hex(key.key), hex(hkdfKey.key));
        }
      });
    }
  }

  it('pbkdf2SyncNoble and both backends pbkdf2 equal pbkdf2Sync on random inputs', async () => {
    const t = prng(9);
    for (let i = 0; i < 10; i++) {
      const password = t.bytes(t.int(80));
      const s = t.bytes(t.int(60));
      const iterations = 1 + t.int(50);
      const length = 1 + t.int(80);
      const expected = nodeCrypto.pbkdf2Sync(password, s, iterations, length, 'sha256').toString('hex');
      assert.equal(hex(pbkdf2SyncNoble(password, s, iterations, length)), expected);
      for (const b of backends) assert.equal(hex(await b.pbkdf2(password, s, iterations, length)), expected, b.name);
    }
  });
});

describe('constantTimeEqual', () => {
  it('returns false for unequal lengths, never throws', () => {
    assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
    assert.equal(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2])), false);
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array([0])), false);
    assert.equal(constantTimeEqual(new Uint8Array(16), new Uint8Array(32)), false);
  });

  it('is true exactly when the bytes are equal', () => {
    assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
    const r = prng(10);
    for (let i = 0; i < ITERATIONS; i++) {
      const a = r.bytes(1 + r.int(64));
      assert.equal(constantTimeEqual(a, a.slice()), true);
      const b = flipBit(a, r.int(a.length * 8));
      assert.equal(constantTimeEqual(a, b), false);
      assert.equal(constantTimeEqual(b, a), false);
    }
  });
});
