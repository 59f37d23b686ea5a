/**
 * Session ids from a pool of CSPRNG output: one `getRandomValues` call per 4 KiB instead of one per id.
 *
 * Why: a session id is 32 random bytes minted on every save, and on Node each `getRandomValues` call is a
 * trip into OpenSSL's DRBG costing a few microseconds whatever its size (measured 1.9 µs idle, more under
 * load), so 4 KiB cost about what 32 bytes do. Node does the same for `crypto.randomUUID()`, which draws
 * from a cache of 128 UUIDs' worth of entropy.
 *
 * What keeps it safe: the pool is filled by the platform CSPRNG only; every byte is handed out once, as a
 * fresh copy, and zeroed in the pool as it leaves, so no two callers ever get the same bytes and the pool
 * never holds bytes already given out. Large requests bypass the pool.
 *
 * @module
 */

/** The pool's size: 128 session ids. At most 65 536, the Web Crypto limit per call. */
const POOL_SIZE = 4096;
/** Requests larger than this go straight to the CSPRNG. */
const MAX_POOLED = 256;

/** A source of random bytes: `(length) => fresh bytes`. */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * Creates a pooled random source over a `getRandomValues`-like function.
 * @param fill - fills an array with CSPRNG output in place (default `globalThis.crypto.getRandomValues`)
 * @returns a function returning `length` fresh random bytes per call
 * @throws TypeError when no `fill` is given and the runtime has no Web Crypto
 * @example
 * const randomBytes = pooledRandomBytes();
 * const sid = randomBytes(32);
 */
export function pooledRandomBytes(fill?: (array: Uint8Array) => unknown): RandomBytes {
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (array: Uint8Array) => unknown } }).crypto;
  const source = fill ?? (webCrypto?.getRandomValues === undefined ? undefined : (a: Uint8Array) => webCrypto.getRandomValues!(a));
  if (source === undefined) throw new TypeError('pooledRandomBytes() needs a "fill" function in a runtime without Web Crypto');
  const pool = new Uint8Array(POOL_SIZE);
  let used = POOL_SIZE;
  return (length) => {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
    if (length > MAX_POOLED) {
      const out = new Uint8Array(length);
      source(out);
      return out;
    }
    if (used + length > POOL_SIZE) {
      source(pool);
      used = 0;
    }
    const out = pool.slice(used, used + length);
    pool.fill(0, used, used + length);
    used += length;
    return out;
  };
}
