/**
 * Finding the cookie to inspect in the COOKIE argument: a bare value (a chunked cookie's chunks possibly
 * joined into one), or a whole `Cookie` header holding it under one of the names looked for.
 *
 * @module
 */
import { Flags, HEADER_TEXT_SIZE } from '../codec/header.ts';
import { parseHeader } from '../codec/seal.ts';
import { collectCookies } from '../cookie/parse.ts';
import { chunkCount, splitChunks } from '../cookie/serialize.ts';
import { UsageError } from './usage.ts';

/** One cookie to inspect. */
export interface Candidate {
  /** The cookie's name (its first chunk's). */
  readonly name: string;
  /** The first (or only) chunk's value. */
  readonly value: string;
  /** Its chunk `index` (2 for `session2`, ...), `undefined` when there is none. */
  readonly chunk: (index: number) => string | undefined;
}

/**
 * The cookie values to try, under any of `names`, each with a way to find its chunks.
 * @param input - the COOKIE argument: a value, or a Cookie header with or without `Cookie:`
 * @param names - the names to look for, the first standing for a bare value
 * @returns every cookie of those names, in the order of `names`, then of the header
 * @throws UsageError when a header holds none of them (the message names the names, no value)
 * @example cookieCandidates('Cookie: session=AQAA...; other=1', ['session'])[0].value // 'AQAA...'
 */
export function cookieCandidates(input: string, names: readonly string[]): Candidate[] {
  const text = input.trim().replace(/^cookie\s*:\s*/i, '');
  if (!text.includes('=') && !text.includes(';')) return [splitJoined(text, names[0]!)];
  const isWanted = (n: string): boolean => names.some((name) => n === name || (n.startsWith(name) && /^[2-9]$/.test(n.slice(name.length))));
  const cookies = collectCookies(text, isWanted);
  const out: Candidate[] = [];
  for (const name of names) {
    const chunk = (i: number): string | undefined => cookies[`${name}${i}`]?.[0];
    for (const value of cookies[name] ?? []) out.push({ name, value, chunk });
  }
  if (out.length === 0) {
    const quoted = names.map((n) => JSON.stringify(n));
    const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)!}`;
    throw new UsageError(`inspect: no cookie named ${list} in the Cookie header (see --cookie-name)`);
  }
  return out;
}

/**
 * A bare value may be a chunked cookie's chunks joined together: when its length is exactly what its
 * header announces, it is cut back into the chunks the browser would hold (the reader takes the chunk
 * layout from the header, spec 1.4). Anything else is passed on unchanged for the reader to judge.
 */
function splitJoined(value: string, name: string): Candidate {
  const header = parseHeader(value);
  const none = { name, value, chunk: () => undefined };
  if (header === null || (header.flags & Flags.storage) !== 0 || value.length !== HEADER_TEXT_SIZE + header.dataSize) return none;
  const count = chunkCount(name.length, value.length);
  if (count < 2) return none;
  const parts = splitChunks(name, value, count);
  return { name, value: parts[0]!, chunk: (i) => parts[i - 1] };
}
