/**
 * Key material and per-session key derivation (spec 2.1, 2.2, 2.5).
 *
 * `ikm = SHA-256(secret)`; HKDF-SHA256 with an empty salt is split into its extract step, done once per
 * ikm, and its expand step, done per session id:
 * `HKDF-Expand(PRK, "encryption:" || sid, 44)` gives the AES key (32) and IV (12),
 * `HKDF-Expand(PRK, "authentication:" || sid, 32)` the header MAC key.
 * The remember cookie's encryption key comes from PBKDF2 instead; its MAC key still from HKDF.
 *
 * The expand step runs HMAC-SHA256 under the PRK through the backend's keyed form (its padded key blocks
 * hashed once per key material), so deriving a session id's keys costs three short HMACs. Nothing derived is
 * cached here: a cookie this process sealed opens from the opened-cookie cache (reader.ts) without any
 * derivation.
 *
 * @module
 */
import type { CryptoBackend, KeyedHmac } from './crypto.ts';

const encoder = new TextEncoder();
const ENCRYPTION = encoder.encode('encryption:');
const AUTHENTICATION = encoder.encode('authentication:');
const ZERO_SALT = new Uint8Array(32);
const ONE = new Uint8Array([1]);
/** The length of a session id. */
const SID_SIZE = 32;
/** `"encryption:" || sid`, the sid written in per call. */
const ENCRYPTION_INFO = scratch(ENCRYPTION, 0, ENCRYPTION.length + SID_SIZE);
/** `T(1) || "encryption:" || sid || 2`, T(1) and the sid written in per call. */
const SECOND_BLOCK = scratch(ENCRYPTION, 32, 32 + ENCRYPTION.length + SID_SIZE + 1, 2);
/** `"authentication:" || sid`, the sid written in per call. */
const AUTHENTICATION_INFO = scratch(AUTHENTICATION, 0, AUTHENTICATION.length + SID_SIZE);

/** A zeroed array of `size` bytes holding `label` at `at` (and `last` as its final byte): an HKDF input to fill in. */
function scratch(label: Uint8Array, at: number, size: number, last?: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(label, at);
  if (last !== undefined) out[size - 1] = last;
  return out;
}

/** The keyed HMAC under each key material's PRK, per backend (a cross-check of two backends stays a real check). */
const prfs = new WeakMap<CryptoBackend, WeakMap<KeyMaterial, KeyedHmac>>();

function prfOf(crypto: CryptoBackend, material: KeyMaterial): KeyedHmac {
  let byMaterial = prfs.get(crypto);
  if (byMaterial === undefined) {
    byMaterial = new WeakMap();
    prfs.set(crypto, byMaterial);
  }
  let prf = byMaterial.get(material);
  if (prf === undefined) {
    const prk = material.prk;
    prf = crypto.hmacSha256With?.(prk) ?? ((data, more) => crypto.hmacSha256(prk, data, more));
    byMaterial.set(material, prf);
  }
  return prf;
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
  const prf = prfOf(crypto, material);
  // Session ids are 32 bytes: their inputs are built in place, in scratch arrays (calls are synchronous).
  const own = sid.length === SID_SIZE;
  const first = own ? ENCRYPTION_INFO : scratch(ENCRYPTION, 0, ENCRYPTION.length + sid.length);
  const second = own ? SECOND_BLOCK : scratch(ENCRYPTION, 32, 32 + ENCRYPTION.length + sid.length + 1, 2);
  // HKDF-Expand for L = 44: T(1) = HMAC(prk, info || 1), T(2) = HMAC(prk, T(1) || info || 2).
  first.set(sid, ENCRYPTION.length);
  const t1 = prf(first, ONE);
  second.set(t1);
  second.set(sid, 32 + ENCRYPTION.length);
  const t2 = prf(second);
  second.fill(0, 0, 32); // T(1) is the AES key: no copy of it stays behind
  return { key: t1, iv: t2.subarray(0, 12) };
}

/**
 * Derives the header MAC key of a session id: `HKDF-Expand(prk, "authentication:" || sid, 32)`.
 * @param crypto - the backend
 * @param material - the key to derive from
 * @param sid - the 32 raw session id bytes
 */
export function deriveMacKey(crypto: CryptoBackend, material: KeyMaterial, sid: Uint8Array): Uint8Array {
  const input = sid.length === SID_SIZE ? AUTHENTICATION_INFO : scratch(AUTHENTICATION, 0, AUTHENTICATION.length + sid.length);
  input.set(sid, AUTHENTICATION.length);
  return prfOf(crypto, material)(input, ONE);
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
