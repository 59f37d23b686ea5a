/**
 * The plaintext data model (spec 3.1): a JSON array of `[data, audience, subject?]` entries, one per
 * audience sharing the cookie, raw-deflated when longer than the compression threshold and smaller so.
 *
 * @module
 */
import { utf8 } from './bytes.ts';
import { deflateRaw, inflateRaw } from './compress.ts';

/** One audience's share of a session. */
export interface SessionEntry {
  /** The attributes; a prototype-less-safe plain object. */
  data: Record<string, unknown>;
  audience: string;
  /** Absent when no subject was set (never written as JSON `null`: spec 3.1). */
  subject?: string | undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The encoded plaintext and whether it was deflated. */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  readonly deflated: boolean;
  /** The JSON text `bytes` encode (before any deflate). */
  readonly json: string;
}

/**
 * Serializes entries to JSON bytes, deflating when the JSON is longer than `threshold` (0 = never) and
 * the deflated form is strictly smaller.
 */
export function encodePayload(entries: readonly SessionEntry[], threshold: number): EncodedPayload {
  const rows: unknown[][] = [];
  for (const e of entries) rows.push(e.subject === undefined ? [e.data, e.audience] : [e.data, e.audience, e.subject]);
  const json = JSON.stringify(rows);
  const bytes = utf8(json);
  if (threshold > 0 && bytes.length > threshold) {
    const deflated = deflateRaw(bytes);
    if (deflated.length < bytes.length) return { bytes: deflated, deflated: true, json };
  }
  return { bytes, deflated: false, json };
}

/**
 * Parses decrypted plaintext; never throws.
 * @param bytes - decrypted bytes
 * @param deflated - whether the header's deflate flag is set
 * @param limit - the largest inflated size accepted
 * @returns the entries, or `null` when the plaintext is not a well-formed entry list
 */
export function decodePayload(bytes: Uint8Array, deflated: boolean, limit: number): SessionEntry[] | null {
  const text = payloadText(bytes, deflated, limit);
  return text === null ? null : parsePayload(text);
}

/**
 * The JSON text of decrypted plaintext: inflated when flagged, strict UTF-8, and nested no deeper than
 * session values may be; never throws.
 * @param bytes - decrypted bytes
 * @param deflated - whether the header's deflate flag is set
 * @param limit - the largest inflated size accepted
 * @returns the text, or `null` when it does not inflate within `limit`, is not valid UTF-8 or nests too deep
 */
export function payloadText(bytes: Uint8Array, deflated: boolean, limit: number): string | null {
  const plain = deflated ? inflateRaw(bytes, limit) : bytes;
  if (plain === null) return null;
  let text: string;
  try {
    text = decoder.decode(plain);
  } catch {
    return null;
  }
  return nestingDepth(text) <= MAX_NESTING ? text : null;
}

/**
 * How deep a JSON text nests: what `JSON.parse` accepts at any depth, but `structuredClone` (getData) and
 * `JSON.stringify` (save) then overflow the stack on (security checklist case 19). Session values are held
 * to 512 levels when set (json.ts); with the entry list around them that is 516 in the text.
 */
const MAX_NESTING = 520;

/** The deepest bracket nesting outside string literals; a linear scan that never recurses. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Parses the JSON text of a payload into fresh entry objects; never throws.
 * @param text - the text from {@link payloadText} (which bounds its nesting), or from `encodePayload`
 * @returns the entries, or `null` when the text is not a well-formed entry list
 */
export function parsePayload(text: string): SessionEntry[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
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
