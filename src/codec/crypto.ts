/**
 * The crypto seam: the handful of primitives the wire format needs, behind one small interface with two
 * implementations, so that the codec runs in every runtime (`@noble`, pure JS) and runs fast on Node
 * (`node:crypto`, native AES-GCM and HMAC). Both pass the same vectors and are cross-checked in the tests.
 *
 * Everything here is synchronous except PBKDF2, which the remember cookie runs with up to 1e6 iterations
 * (spec 2.5): the Node backend runs it on libuv's thread pool, off the event loop.
 *
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2, pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type * as NodeCrypto from 'node:crypto';
import { hmacSha256 as hmacSha256Js, keyedHmacSha256 } from './sha256.ts';

/** AES-256-GCM output with the tag kept apart, as the wire format stores it in the header (spec 2.3). */
export interface Sealed {
  /** Ciphertext, as long as the plaintext. */
  readonly ciphertext: Uint8Array;
  /** The 16-byte GCM authentication tag. */
  readonly tag: Uint8Array;
}

/**
 * The primitives the codec needs. Implementations must be pure functions of their inputs.
 */
export interface CryptoBackend {
  /** `'node'` for node:crypto, `'noble'` for the pure-JS `@noble` implementation. */
  readonly name: 'node' | 'noble';
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 of `data` (then `more`, when given) under `key`. */
  hmacSha256(key: Uint8Array, data: Uint8Array, more?: Uint8Array): Uint8Array;
  /**
   * Optional: HMAC-SHA256 under a key that is used many times (the HKDF pseudo-random key), with the key's
   * padded blocks hashed once instead of on every call. Must equal `hmacSha256(key, data, more)`.
   */
  hmacSha256With?(key: Uint8Array): KeyedHmac;
  /** AES-256-GCM encryption with additional authenticated data. */
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Sealed;
  /** AES-256-GCM decryption; `null` when the tag does not authenticate (never throws for bad input). */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** PBKDF2-HMAC-SHA256, off the event loop where the runtime allows it. */
  pbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array>;
}

/** HMAC-SHA256 under one fixed key: `(data, more?) => tag`. */
export type KeyedHmac = (data: Uint8Array, more?: Uint8Array) => Uint8Array;

/** The pure-JS backend on @noble/ciphers and @noble/hashes: works in every runtime. */
export const nobleCrypto: CryptoBackend = {
  name: 'noble',
  sha256: (data) => sha256(data),
  hmacSha256(key, data, more) {
    if (more === undefined) return hmac(sha256, key, data);
    return hmac.create(sha256, key).update(data).update(more).digest();
  },
  hmacSha256With: keyedHmacSha256,
  encrypt(key, iv, plaintext, aad) {
    const out = gcm(key, iv, aad).encrypt(plaintext);
    const split = out.length - 16;
    return { ciphertext: out.subarray(0, split), tag: out.subarray(split) };
  },
  decrypt(key, iv, ciphertext, tag, aad) {
    // A tag of any other length must not authenticate: a longer one would make `joined.set` throw, and a
    // shorter one would be zero-padded, so a 15-byte truncation of a tag ending in 0x00 would pass.
    if (tag.length !== 16) return null;
    const joined = new Uint8Array(ciphertext.length + 16);
    joined.set(ciphertext);
    joined.set(tag, ciphertext.length);
    try {
      return gcm(key, iv, aad).decrypt(joined);
    } catch {
      return null;
    }
  },
  pbkdf2: (password, salt, iterations, length) =>
    pbkdf2Async(sha256, password, salt, { c: iterations, dkLen: length, asyncTick: 10 }),
};

/** Synchronous PBKDF2 with @noble, used only where a runtime has no asynchronous one. */
export function pbkdf2SyncNoble(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array {
  return pbkdf2(sha256, password, salt, { c: iterations, dkLen: length });
}

/**
 * Builds the node:crypto backend from a `node:crypto` module object.
 * @param c - the `node:crypto` module
 * @returns a backend whose SHA-256, AES-GCM and PBKDF2 are native (its short HMACs run in JS, see sha256.ts)
 */
export function createNodeCrypto(c: typeof NodeCrypto): CryptoBackend {
  const view = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return {
    name: 'node',
    sha256: (data) => view(c.createHash('sha256').update(data).digest()),
    // JS on purpose (sha256.ts): the HMACs here run over a few dozen bytes (the header MAC, HKDF), where
    // `createHmac` spends more setting up an OpenSSL context (about 2 µs) than the five SHA-256
    // compressions cost; for a key used over and over, its pads are hashed once.
    hmacSha256: hmacSha256Js,
    hmacSha256With: keyedHmacSha256,
    encrypt(key, iv, plaintext, aad) {
      const cipher = c.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad);
      const first = cipher.update(plaintext);
      const last = cipher.final();
      const ciphertext = last.length === 0 ? view(first) : view(Buffer.concat([first, last]));
      return { ciphertext, tag: view(cipher.getAuthTag()) };
    },
    decrypt(key, iv, ciphertext, tag, aad) {
      if (tag.length !== 16) return null;
      try {
        const decipher = c.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const first = decipher.update(ciphertext);
        const last = decipher.final();
        return last.length === 0 ? view(first) : view(Buffer.concat([first, last]));
      } catch {
        return null;
      }
    },
    pbkdf2: (password, salt, iterations, length) =>
      new Promise((resolve, reject) => {
        c.pbkdf2(password, salt, iterations, length, 'sha256', (err, key) => (err ? reject(err) : resolve(view(key))));
      }),
  };
}

let detected: CryptoBackend | undefined;

/**
 * The backend used by default: node:crypto when the runtime has it (Node, Bun, Deno; found through
 * `process.getBuiltinModule`, so nothing Node-only is imported statically), else @noble.
 * @returns the default backend, detected once
 */
export function defaultCrypto(): CryptoBackend {
  if (detected === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const nodeCrypto = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined;
    detected = nodeCrypto?.createCipheriv ? createNodeCrypto(nodeCrypto) : nobleCrypto;
  }
  return detected;
}

/**
 * Compares two byte strings in time that depends only on their lengths; `false` on a length mismatch
 * (unlike `crypto.timingSafeEqual`, which throws: security checklist case 46).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
