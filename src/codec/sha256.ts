/**
 * HMAC-SHA256 for the codec's short messages: the header MAC (66 bytes, plus a 33-byte client binding)
 * and the per-session-id HKDF-Expand (spec 2.1). Each call runs only the SHA-256 compressions its message
 * needs on preallocated state, and a key used over and over (the HKDF PRK) has its padded blocks hashed
 * once ({@link keyedHmacSha256}); nothing is allocated per call but the 32-byte result.
 *
 * Why not a library: node:crypto has no way to reuse a keyed state, and each `createHmac` sets up an
 * OpenSSL context (about 2 µs, more than the compressions themselves); @noble/hashes runs the same
 * compressions behind a general streaming interface (1.35 µs per keyed call against 0.75 µs here). A save
 * runs four of these, an open of a cookie not seen before three. SHA-256 itself is FIPS 180-4, written out
 * below. It is checked against node:crypto's `createHmac` on every message length from 0 to 300 bytes and
 * 2,000 random keys and messages (test/perf/keyed-hmac.test.ts), against @noble/hashes through the
 * backend cross-checks, and through the committed lua-resty-session vectors, whose MACs came from OpenSSL.
 *
 * @module
 */

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** The message schedule, shared: every call below is synchronous and finishes before the next starts. */
const W = new Int32Array(64);

/** Compresses the 64-byte block at `block[offset]` into `state` (FIPS 180-4 §6.2.2). */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]!;
    const b = W[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** Scratch space for a padded message: grown when a longer one comes (HKDF's inputs need 128 bytes). */
let scratch = new Uint8Array(256);

/**
 * Hashes `prefixBlocks` already-absorbed bytes' state `from` further with `data || more`, padded as a
 * message of `64 + data.length + more.length` bytes, into `state`.
 */
function finish(state: Int32Array, from: Int32Array, data: Uint8Array, more: Uint8Array | undefined): void {
  const length = data.length + (more === undefined ? 0 : more.length);
  // Message, 0x80, zeros, then the 64-bit big-endian bit length of the whole message (the key block too).
  const blocks = (length + 9 + 63) >>> 6;
  const size = blocks * 64;
  if (scratch.length < size) scratch = new Uint8Array(size * 2);
  const buf = scratch;
  buf.set(data, 0);
  if (more !== undefined) buf.set(more, data.length);
  buf[length] = 0x80;
  buf.fill(0, length + 1, size);
  const bits = (length + 64) * 8;
  buf[size - 5] = bits / 0x100000000; // bits < 2^40 for any array a caller can pass
  buf[size - 4] = bits >>> 24;
  buf[size - 3] = bits >>> 16;
  buf[size - 2] = bits >>> 8;
  buf[size - 1] = bits;
  state.set(from);
  for (let offset = 0; offset < size; offset += 64) compress(state, buf, offset);
  // Leaves no message bytes behind in the shared scratch (they may be key material).
  buf.fill(0, 0, size);
}

/** Scratch for keying: the padded key block, cleared after use. */
const keyBlock = new Uint8Array(64);

/** Hashes the key's inner and outer padded blocks (RFC 2104) into `inner` and `outer`. */
function keyStates(key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  keyBlock.fill(0);
  keyBlock.set(key.length > 64 ? sha256(key) : key);
  for (let i = 0; i < 64; i++) keyBlock[i]! ^= 0x36;
  inner.set(IV);
  compress(inner, keyBlock, 0);
  for (let i = 0; i < 64; i++) keyBlock[i]! ^= 0x36 ^ 0x5c;
  outer.set(IV);
  compress(outer, keyBlock, 0);
  keyBlock.fill(0);
}

/** Scratch of the one-shot HMAC and of every keyed one: calls are synchronous and never overlap. */
const innerScratch = new Int32Array(8);
const outerScratch = new Int32Array(8);
const stateScratch = new Int32Array(8);
const digestScratch = new Uint8Array(32);

/** HMAC from prepared key states: `H(outer || H(inner || data || more))`. */
function hmacFrom(inner: Int32Array, outer: Int32Array, data: Uint8Array, more: Uint8Array | undefined): Uint8Array {
  finish(stateScratch, inner, data, more);
  writeState(stateScratch, digestScratch);
  finish(stateScratch, outer, digestScratch, undefined);
  digestScratch.fill(0);
  const out = new Uint8Array(32);
  writeState(stateScratch, out);
  return out;
}

/**
 * HMAC-SHA256 (RFC 2104) of `data || more` under `key`, in one call.
 * @param key - any length (longer than 64 bytes: hashed first)
 * @param data - the message
 * @param more - more message, appended
 * @returns a fresh 32-byte array
 * @example const mac = hmacSha256(macKey, header.subarray(0, 66));
 */
export function hmacSha256(key: Uint8Array, data: Uint8Array, more?: Uint8Array): Uint8Array {
  keyStates(key, innerScratch, outerScratch);
  return hmacFrom(innerScratch, outerScratch, data, more);
}

/**
 * HMAC-SHA256 under `key`, with the key's padded blocks hashed once (RFC 2104).
 * @param key - the key, any length (longer than 64 bytes: hashed first, as RFC 2104 says)
 * @returns `(data, more?) => HMAC(key, data || more)`, a fresh 32-byte array per call
 * @example const prf = keyedHmacSha256(prk); const t1 = prf(info, new Uint8Array([1]));
 */
export function keyedHmacSha256(key: Uint8Array): (data: Uint8Array, more?: Uint8Array) => Uint8Array {
  const inner = new Int32Array(8);
  const outer = new Int32Array(8);
  keyStates(key, inner, outer);
  return (data, more) => hmacFrom(inner, outer, data, more);
}

/** SHA-256 of `data` (only for HMAC keys longer than a block; the codec uses the backend's). */
function sha256(data: Uint8Array): Uint8Array {
  const length = data.length;
  const size = ((length + 9 + 63) >>> 6) * 64;
  const buf = new Uint8Array(size);
  buf.set(data);
  buf[length] = 0x80;
  const bits = length * 8;
  buf[size - 5] = bits / 0x100000000;
  buf[size - 4] = bits >>> 24;
  buf[size - 3] = bits >>> 16;
  buf[size - 2] = bits >>> 8;
  buf[size - 1] = bits;
  const state = new Int32Array(IV);
  for (let offset = 0; offset < size; offset += 64) compress(state, buf, offset);
  const out = new Uint8Array(32);
  writeState(state, out);
  return out;
}

function writeState(state: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
}
