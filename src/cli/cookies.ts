/**
 * Finding the cookie to inspect in the COOKIE argument: a bare value (a chunked cookie's chunks possibly
 * joined into one), a whole `Cookie` header holding it under one of the names looked for, or a pasted
 * `Set-Cookie` line. What the argument was read as is said on standard error whenever it could have been
 * read another way (a value ending in `=` padding, a `Set-Cookie` line, a cookie found under another name),
 * and a refusal says what was read and why it does not do.
 *
 * @module
 */
import { parseSetCookie } from 'cookie';
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

/** What the COOKIE argument was read as. */
export type CookieForm = 'value' | 'header' | 'set-cookie';

/** The cookies found in the COOKIE argument, and what it was read as. */
export interface Understood {
  readonly form: CookieForm;
  /** Every cookie of the names looked for, in the order of the names, then of the header. */
  readonly candidates: Candidate[];
  /** How the argument was read, where it could have been read otherwise (for `note:` lines). */
  readonly notes: string[];
}

// RFC 9110 token: the grammar of a cookie name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// At most this many cookie names are listed in a refusal, each cut to this length.
const LISTED_NAMES = 6;
const LISTED_NAME_LENGTH = 40;
// The longest cookie name the options accept (`cookie.name`).
const MAX_NAME_LENGTH = 64;

/**
 * The cookie values to try, under any of `names`, each with a way to find its chunks.
 * @param input - the COOKIE argument: a value, a Cookie header with or without `Cookie:`, or a
 *   `Set-Cookie:` line
 * @param names - the names to look for, the first standing for a bare value
 * @param guess - no name was given (`--cookie-name`): a header's only session-like cookie may be taken
 *   under its own name
 * @returns the candidates and what the argument was read as
 * @throws UsageError when no cookie of those names is there; the message says what the argument was read
 *   as and which cookie names it holds, never a value
 * @example cookieCandidates('Cookie: session=AQAA...; other=1', ['session'], true).candidates[0].value // 'AQAA...'
 */
export function cookieCandidates(input: string, names: readonly string[], guess: boolean): Understood {
  const trimmed = input.trim();
  const setCookie = /^set-cookie\s*:/i.exec(trimmed);
  if (setCookie !== null) {
    // `cookie` reads the line; only the cookie itself matters, the attributes are the server's. No decoding:
    // a session cookie is base64url, and a percent sign in it must stay one to be judged.
    const { name, value } = parseSetCookie(trimmed.slice(setCookie[0].length), { decode: (v) => v });
    const understood = fromCookies('set-cookie', Object.assign(Object.create(null), { [name]: [value] }), names, guess);
    understood.notes.unshift(`read COOKIE as a Set-Cookie line: the cookie ${JSON.stringify(name)}, its attributes ignored`);
    return understood;
  }
  const text = trimmed.replace(/^cookie\s*:\s*/i, '');
  if (!text.includes('=') && !text.includes(';')) return { form: 'value', candidates: [splitJoined(text, names[0]!)], notes: [] };
  if (isPaddedValue(text, names)) {
    const note = "COOKIE ends in '=': read as one cookie value with base64 padding (session cookies are unpadded base64url)";
    return { form: 'value', candidates: [{ name: names[0]!, value: text, chunk: () => undefined }], notes: [note] };
  }
  return fromCookies('header', collectCookies(text, () => true), names, guess);
}

/**
 * A value whose only `=` are trailing padding (`AQAA...==`), not a `name=value` pair: no `;`, and what
 * precedes the `=` is no name looked for.
 */
function isPaddedValue(text: string, names: readonly string[]): boolean {
  if (text.includes(';')) return false;
  const eq = text.indexOf('=');
  return eq > 0 && /^=+$/.test(text.slice(eq)) && !isWantedName(text.slice(0, eq).trim(), names);
}

/** Whether a cookie name is one looked for, or one of their chunks (`session2` .. `session9`). */
function isWantedName(n: string, names: readonly string[]): boolean {
  return names.some((name) => n === name || (n.startsWith(name) && /^[2-9]$/.test(n.slice(name.length))));
}

/**
 * The candidates among the cookies of a Cookie header (or of a Set-Cookie line); a refusal when there are
 * none.
 * @param all - every cookie of the argument, by name, each name's values in order
 */
function fromCookies(form: 'header' | 'set-cookie', all: Record<string, string[]>, names: readonly string[], guess: boolean): Understood {
  const candidates = candidatesOf(all, names);
  const notes: string[] = [];
  if (candidates.length === 0) {
    const stray = strayValue(all, names[0]!);
    if (stray !== undefined) {
      notes.push(`COOKIE starts with '=': read what follows as the cookie value`);
      return { form: 'value', candidates: [stray], notes };
    }
    const alike = Object.keys(all).filter((n) => TOKEN.test(n) && n.length <= MAX_NAME_LENGTH && all[n]!.some((v) => parseHeader(v) !== null));
    if (guess && alike.length === 1) {
      const name = alike[0]!;
      notes.push(`no cookie named ${nameList(names)}; inspecting ${JSON.stringify(name)}, which holds a session cookie (pass --cookie-name to choose)`);
      return { form, candidates: candidatesOf(all, [name]), notes };
    }
    throw new UsageError(refusal(form, all, names, alike));
  }
  if (candidates.some((c) => c.value.endsWith('='))) {
    notes.push("the cookie value ends in '=': session cookies are unpadded base64url, so padding makes it malformed");
  }
  return { form, candidates, notes };
}

function candidatesOf(cookies: Record<string, string[]>, names: readonly string[]): Candidate[] {
  const out: Candidate[] = [];
  for (const name of names) {
    const chunk = (i: number): string | undefined => cookies[`${name}${i}`]?.[0];
    for (const value of cookies[name] ?? []) out.push({ name, value, chunk });
  }
  return out;
}

/** `=AQAA...`: a cookie without a name, the argument's only pair, read as a bare value. */
function strayValue(all: Record<string, string[]>, name: string): Candidate | undefined {
  const pairs = Object.keys(all);
  if (pairs.length !== 1 || pairs[0] !== '' || all['']!.length !== 1) return undefined;
  return splitJoined(all['']![0]!, name);
}

/**
 * Why a header with none of the names does not do, and what it was read as: the names it holds (quoted,
 * cut short, never a value), a name that differs only in case, one that holds a session cookie.
 */
function refusal(form: 'header' | 'set-cookie', all: Record<string, string[]>, names: readonly string[], alike: readonly string[]): string {
  const found = Object.keys(all);
  const what = form === 'set-cookie' ? 'the Set-Cookie line' : 'the Cookie header';
  let message = `inspect: no cookie named ${nameList(names)} in ${what} (see --cookie-name)`;
  if (found.length === 0) return `${message}; COOKIE was read as ${what}, and it holds no name=value pair`;
  const listed = found.slice(0, LISTED_NAMES).map(quoteName);
  const more = found.length > LISTED_NAMES ? ` and ${found.length - LISTED_NAMES} more` : '';
  message += `; COOKIE was read as ${what} holding ${found.length === 1 ? 'the cookie' : 'the cookies'} ${listed.join(', ')}${more}`;
  const cased = found.find((n) => !names.includes(n) && names.some((name) => name.toLowerCase() === n.toLowerCase()));
  if (cased !== undefined) message += `; names match exactly: ${quoteName(cased)} is not ${JSON.stringify(names.find((name) => name.toLowerCase() === cased.toLowerCase()))}`;
  if (alike.length > 0) message += `; ${alike.slice(0, LISTED_NAMES).map(quoteName).join(', ')} ${alike.length === 1 ? 'holds' : 'hold'} a session cookie: pass --cookie-name`;
  return message;
}

function nameList(names: readonly string[]): string {
  const quoted = names.map((n) => JSON.stringify(n));
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)!}`;
}

function quoteName(name: string): string {
  return JSON.stringify(name.length > LISTED_NAME_LENGTH ? `${name.slice(0, LISTED_NAME_LENGTH)}...` : name);
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
