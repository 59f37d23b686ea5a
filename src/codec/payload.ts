/**
 * The plaintext data model (spec 3.1): a JSON array of `[data, audience, subject?]` entries, one per
 * audience sharing the cookie, raw-deflated when longer than the compression threshold and smaller so.
 *
 * @module
 */
import { deflateRaw, inflateRaw } from './compress.ts';

/** One audience's share of a session. */
export interface SessionEntry {
  /** The attributes; a prototype-less-safe plain object. */
  data: Record<string, unknown>;
  audience: string;
  /** Absent when no subject was set (never written as JSON `null`: spec 3.1). */
  subject?: string | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The encoded plaintext and whether it was deflated. */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  readonly deflated: boolean;
}

/**
 * Serializes entries to JSON bytes, deflating when the JSON is longer than `threshold` (0 = never) and
 * the deflated form is strictly smaller.
 */
export function encodePayload(entries: readonly SessionEntry[], threshold: number): EncodedPayload {
  const json = JSON.stringify(
    entries.map((e) => (e.subject === undefined ? [e.data, e.audience] : [e.data, e.audience, e.subject])),
  );
  const bytes = encoder.encode(json);
  if (threshold > 0 && bytes.length > threshold) {
    const deflated = deflateRaw(bytes);
    if (deflated.length < bytes.length) return { bytes: deflated, deflated: true };
  }
  return { bytes, deflated: false };
}

/**
 * Parses decrypted plaintext; never throws.
 * @param bytes - decrypted bytes
 * @param deflated - whether the header's deflate flag is set
 * @param limit - the largest inflated size accepted
 * @returns the entries, or `null` when the plaintext is not a well-formed entry list
 */
export function decodePayload(bytes: Uint8Array, deflated: boolean, limit: number): SessionEntry[] | null {
  const plain = deflated ? inflateRaw(bytes, limit) : bytes;
  if (plain === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(plain));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  const entries: SessionEntry[] = [];
  for (const item of parsed) {
    if (!Array.isArray(item) || item.length < 2 || item.length > 3) return null;
    const [data, audience, subject] = item as unknown[];
    if (!isPlainObject(data) || typeof audience !== 'string') return null;
    if (subject !== undefined && subject !== null && typeof subject !== 'string') return null;
    entries.push({ data, audience, subject: typeof subject === 'string' ? subject : undefined });
  }
  return entries;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
