/**
 * Key material and per-session key derivation (spec 2.1, 2.2, 2.5).
 *
 * `ikm = SHA-256(secret)`; HKDF-SHA256 with an empty salt is split into its extract step, done once per
 * ikm, and its expand step, done per session id:
 * `HKDF-Expand(PRK, "encryption:" || sid, 44)` gives the AES key (32) and IV (12),
 * `HKDF-Expand(PRK, "authentication:" || sid, 32)` the header MAC key.
 * The remember cookie's encryption key comes from PBKDF2 instead; its MAC key still from HKDF.
 *
 * The expand results are cached per key material in a bounded LRU keyed by the exact session id bytes: a
 * save derives the keys of the id it mints, and the next request opens that very id, so it finds them
 * here instead of deriving them again. The keys are a pure function of (PRK, id), the id is random, and a
 * hit hands out copies, so the cache changes no result and no caller can alter another's keys. When the
 * session records what it seals in the opened-cookie cache (reader.ts), that does the same job better,
 * and this cache stops ({@link stopDerivedKeyCache}).
 *
 * @module
 */
import { base64urlEncode } from './base64url.ts';
import { BoundedCache } from './cache.ts';
import type { CryptoBackend, KeyedHmac } from './crypto.ts';

const encoder = new TextEncoder();
const ENCRYPTION = encoder.encode('encryption:');
const AUTHENTICATION = encoder.encode('authentication:');
const ZERO_SALT = new Uint8Array(32);
const ONE = new Uint8Array([1]);

/** How many session ids' keys are cached per key material and backend (a few hundred bytes each). */
export const DERIVED_KEYS_CACHE_SIZE = 1024;
/** Session ids longer than this (never ours: they are 32 bytes) bypass the cache. */
const MAX_CACHED_SID = 64;

/**
 * The cached expand results of one key material under one backend, keyed by the session id's base64url
 * (an exact, one-to-one spelling of its bytes): the MAC keys and the AES key || IV of the last session ids.
 * The arrays never leave this module: a hit hands out a copy.
 */
interface DerivedKeys {
  /** HMAC-SHA256 under the PRK: the backend's keyed form when it has one. */
  readonly prf: KeyedHmac;
  readonly mac: BoundedCache<Uint8Array>;
  readonly encryption: BoundedCache<Uint8Array>;
  /** Set by {@link stopDerivedKeyCache}: derive every time, cache nothing. */
  stopped: boolean;
}

/** Per backend, then per key material: a cross-check of two backends on one material stays a real check. */
const derivedCaches = new WeakMap<CryptoBackend, WeakMap<KeyMaterial, DerivedKeys>>();

function derivedKeys(crypto: CryptoBackend, material: KeyMaterial): DerivedKeys {
  let byMaterial = derivedCaches.get(crypto);
  if (byMaterial === undefined) {
    byMaterial = new WeakMap();
    derivedCaches.set(crypto, byMaterial);
  }
  let keys = byMaterial.get(material);
  if (keys === undefined) {
    const prk = material.prk;
    keys = {
      prf: crypto.hmacSha256With?.(prk) ?? ((data, more) => crypto.hmacSha256(prk, data, more)),
      mac: new BoundedCache<Uint8Array>({ maxEntries: DERIVED_KEYS_CACHE_SIZE }),
      encryption: new BoundedCache<Uint8Array>({ maxEntries: DERIVED_KEYS_CACHE_SIZE }),
      stopped: false,
    };
    byMaterial.set(material, keys);
  }
  return keys;
}

/**
 * Stops (and empties) the derived-key cache of one key material under one backend: its keys are derived on
 * every call from then on. The reader calls it once the session records each cookie it seals in the
 * opened-cookie cache (reader.ts `cacheOpenedCookie`): the next request then opens that cookie without
 * deriving anything, so caching the keys would only cost time and memory.
 * @param crypto - the backend
 * @param material - the key material
 */
export function stopDerivedKeyCache(crypto: CryptoBackend, material: KeyMaterial): void {
  const keys = derivedKeys(crypto, material);
  if (keys.stopped) return;
  keys.stopped = true;
  keys.mac.clear();
  keys.encryption.clear();
}

/**
 * Empties the derived-key cache of one key material under one backend (for tests and diagnostics).
 * @param crypto - the backend
 * @param material - the key material whose cached keys to drop
 * @returns how many keys were dropped (MAC keys and encryption keys)
 */
export function clearDerivedKeys(crypto: CryptoBackend, material: KeyMaterial): number {
  const keys = derivedCaches.get(crypto)?.get(material);
  if (keys === undefined) return 0;
  const size = keys.mac.size + keys.encryption.size;
  keys.mac.clear();
  keys.encryption.clear();
  return size;
}

/**
 * How many keys are cached for one key material under one backend (for tests and diagnostics).
 * @param crypto - the backend
 * @param material - the key material
 * @returns the number of cached MAC keys and encryption keys
 */
export function derivedKeysCached(crypto: CryptoBackend, material: KeyMaterial): { mac: number; encryption: number } {
  const keys = derivedCaches.get(crypto)?.get(material);
  return { mac: keys?.mac.size ?? 0, encryption: keys?.encryption.size ?? 0 };
}

/** AES-256-GCM key and IV for one session id. */
export interface EncryptionKey {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** One input key with its HKDF pseudo-random key, computed once. */
export interface KeyMaterial {
  /** The 32-byte input key material. */
  readonly ikm: Uint8Array;
  /** HKDF-Extract(salt = 32 zero bytes, ikm). */
  readonly prk: Uint8Array;
}

/** PBKDF2 iteration counts of the remember cookie's `rememberSafety` levels (spec 2.5). */
export const REMEMBER_ITERATIONS = {
  none: 0,
  low: 1_000,
  medium: 10_000,
  high: 100_000,
  'very-high': 1_000_000,
} as const;

/** A `rememberSafety` level: how hard the remember cookie's encryption key is to derive. */
export type RememberSafety = keyof typeof REMEMBER_ITERATIONS;

/**
 * Turns a secret into input key material: `SHA-256(utf8(secret))`, as lua-resty-session does.
 * @param crypto - the backend
 * @param secret - any string
 * @returns 32 bytes
 */
export function ikmFromSecret(crypto: CryptoBackend, secret: string): Uint8Array {
  return crypto.sha256(encoder.encode(secret));
}

/**
 * Prepares an ikm for repeated expansion (the HKDF extract step).
 * @param crypto - the backend
 * @param ikm - 32 bytes of input key material
 */
export function keyMaterial(crypto: CryptoBackend, ikm: Uint8Array): KeyMaterial {
  return { ikm, prk: crypto.hmacSha256(ZERO_SALT, ikm) };
}

function info(label: Uint8Array, sid: Uint8Array): Uint8Array {
  const out = new Uint8Array(label.length + sid.length);
  out.set(label);
  out.set(sid, label.length);
  return out;
}

/**
 * Derives the AES key and IV of a session id: `HKDF-Expand(prk, "encryption:" || sid, 44)`.
 * @param crypto - the backend
 * @param material - the key to derive from
 * @param sid - the 32 raw session id bytes
 */
export function deriveEncryptionKey(crypto: CryptoBackend, material: KeyMaterial, sid: Uint8Array): EncryptionKey {
  const keys = derivedKeys(crypto, material);
  if (keys.stopped || sid.length > MAX_CACHED_SID) return expandEncryptionKey(crypto, material, sid);
  const cache = keys.encryption;
  const id = base64urlEncode(sid);
  const cached = cache.get(id);
  if (cached === undefined) {
    const fresh = expandEncryptionKey(crypto, material, sid);
    const okm = new Uint8Array(44);
    okm.set(fresh.key);
    okm.set(fresh.iv, 32);
    cache.set(id, okm);
    return fresh;
  }
  // Fresh arrays on every call: no caller can change what another one gets.
  return { key: cached.slice(0, 32), iv: cached.slice(32, 44) };
}

function expandEncryptionKey(crypto: CryptoBackend, material: KeyMaterial, sid: Uint8Array): EncryptionKey {
  const prf = derivedKeys(crypto, material).prf;
  const label = info(ENCRYPTION, sid);
  // HKDF-Expand for L = 44: T(1) = HMAC(prk, info || 1), T(2) = HMAC(prk, T(1) || info || 2).
  const t1 = prf(label, ONE);
  const second = new Uint8Array(32 + label.length + 1);
  second.set(t1);
  second.set(label, 32);
  second[second.length - 1] = 2;
  const t2 = prf(second);
  return { key: t1, iv: t2.subarray(0, 12) };
}

/**
 * Derives the header MAC key of a session id: `HKDF-Expand(prk, "authentication:" || sid, 32)`.
 * @param crypto - the backend
 * @param material - the key to derive from
 * @param sid - the 32 raw session id bytes
 */
export function deriveMacKey(crypto: CryptoBackend, material: KeyMaterial, sid: Uint8Array): Uint8Array {
  const keys = derivedKeys(crypto, material);
  if (keys.stopped || sid.length > MAX_CACHED_SID) return expandMacKey(crypto, material, sid);
  const cache = keys.mac;
  const id = base64urlEncode(sid);
  const cached = cache.get(id);
  if (cached !== undefined) return cached.slice();
  const fresh = expandMacKey(crypto, material, sid);
  cache.set(id, fresh.slice());
  return fresh;
}

function expandMacKey(crypto: CryptoBackend, material: KeyMaterial, sid: Uint8Array): Uint8Array {
  return derivedKeys(crypto, material).prf(info(AUTHENTICATION, sid), ONE);
}

/**
 * Derives the remember cookie's AES key and IV: `PBKDF2-HMAC-SHA256(ikm, "encryption:" || sid, iter, 44)`,
 * or HKDF when the safety level is `'none'`.
 * @param crypto - the backend
 * @param material - the key to derive from
 * @param sid - the 32 raw session id bytes of the remember cookie
 * @param safety - the `rememberSafety` level
 */
export async function deriveRememberKey(
  crypto: CryptoBackend,
  material: KeyMaterial,
  sid: Uint8Array,
  safety: RememberSafety,
): Promise<EncryptionKey> {
  const iterations = REMEMBER_ITERATIONS[safety];
  if (iterations === 0) return deriveEncryptionKey(crypto, material, sid);
  const okm = await crypto.pbkdf2(material.ikm, info(ENCRYPTION, sid), iterations, 44);
  return { key: okm.subarray(0, 32), iv: okm.subarray(32, 44) };
}
