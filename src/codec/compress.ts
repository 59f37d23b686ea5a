/**
 * Raw DEFLATE (RFC 1951, zlib windowBits -15) of the plaintext above the compression threshold (spec 3.3),
 * with fflate, which runs in every runtime. Inflation is bounded: a cookie that inflates past `limit` bytes
 * is rejected instead of exhausting memory.
 *
 * @module
 */
import { Inflate, deflateSync } from 'fflate';

/**
 * Raw-deflates `data`.
 * @param data - the plaintext
 * @returns the compressed bytes (the caller keeps them only when smaller)
 */
export function deflateRaw(data: Uint8Array): Uint8Array {
  return deflateSync(data, { level: 6 });
}

/**
 * Inflates raw DEFLATE data; never throws.
 * @param data - compressed bytes from an authenticated cookie
 * @param limit - the largest output accepted
 * @returns the bytes, or `null` when the data is not valid DEFLATE or inflates past `limit`
 */
export function inflateRaw(data: Uint8Array, limit: number): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let failed = false;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > limit) failed = true;
    else chunks.push(chunk);
    if (final) ended = true;
  });
  try {
    // Feed in slices so that an oversized output is noticed before it is all produced.
    for (let i = 0; i < data.length && !failed; i += 1024) {
      const end = Math.min(i + 1024, data.length);
      inflater.push(data.subarray(i, end), end === data.length);
    }
  } catch {
    return null;
  }
  if (failed || !ended) return null;
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
