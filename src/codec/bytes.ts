/**
 * Small byte arrays without the cost of `new Uint8Array(n)`.
 *
 * Why: V8 keeps a typed array of up to 64 bytes on the JavaScript heap (about 30 ns to make), but gives a
 * larger one a backing store of its own outside it (300 to 450 ns on Node 20), and a request handles
 * several such arrays: the 82-byte header it parses, the header it seals, the UTF-8 of the session's
 * JSON. Arrays of 65 to 1024 bytes are therefore carved here out of shared 8 KiB slabs, as Node's own
 * `Buffer` pool does: each range is handed out once, zero-filled (a slab starts zeroed and no range is
 * reused), as a view of exactly its length. A view keeps its slab alive until it is collected, so nothing
 * that outlives a request should hold one; the codec's callers copy what they keep into strings.
 *
 * @module
 */

const SLAB_SIZE = 8192;
/** Arrays up to this size come from a slab; larger ones are made as usual. */
const MAX_SLAB_ALLOCATION = 1024;
/** Arrays up to this size are cheap to make directly (V8 keeps them on the heap). */
const MAX_ON_HEAP = 64;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/**
 * A zero-filled array of `length` bytes, of its own or a view of a shared slab.
 * @param length - a non-negative integer
 * @returns a fresh, zero-filled array no other caller holds
 * @example const header = allocBytes(82);
 */
export function allocBytes(length: number): Uint8Array {
  if (length <= MAX_ON_HEAP || length > MAX_SLAB_ALLOCATION) return new Uint8Array(length);
  if (used + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const out = slab.subarray(used, used + length);
  used += length;
  return out;
}

const encoder = new TextEncoder();
/** UTF-8 of a string is at most 3 bytes per UTF-16 code unit: texts up to this length encode via scratch. */
const MAX_SCRATCH_TEXT = 4096;
const textScratch = new Uint8Array(MAX_SCRATCH_TEXT * 3);

/**
 * The UTF-8 bytes of `text` (lone surrogates become U+FFFD, as with `TextEncoder`).
 * @param text - any string
 * @returns a fresh array
 * @example utf8('{"n":1}') // Uint8Array of 7 bytes
 */
export function utf8(text: string): Uint8Array {
  if (text.length > MAX_SCRATCH_TEXT) return encoder.encode(text);
  const { written } = encoder.encodeInto(text, textScratch);
  const out = allocBytes(written);
  out.set(textScratch.subarray(0, written));
  textScratch.fill(0, 0, written); // the session's plaintext does not linger in the scratch
  return out;
}
