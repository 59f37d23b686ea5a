/**
 * The Set-Cookie lines a session writes: its cookie in chunks (or one header-only cookie with server-side
 * storage), the remember cookie's lifetime, the first chunk re-sent by `touch`, and expired cookies.
 *
 * @module
 */
import { chunkCount, chunkName, cookieHeaderBytes, EXPIRED, firstChunkLength, httpDate, splitChunks } from '../cookie/serialize.ts';
import { SessionTooLargeError } from '../errors.ts';
import { assertTokenFits } from '../http/header.ts';
import type { ResolvedOptions } from '../options.ts';

/** One Set-Cookie line and the name of the cookie it sets. */
export type CookieLine = [name: string, line: string];

/**
 * The lines of a cookie value split over `name`, `name2` .. `name9`, each line (`name=value` and its
 * attributes) at most 4096 bytes.
 * @param o - the manager's options
 * @param name - the base cookie name
 * @param value - the whole value (header and payload text)
 * @param extra - attributes appended after the manager's (the remember cookie's Expires and Max-Age)
 * @throws SessionTooLargeError (`'SESSION_TOO_LARGE'`) when the value does not fit in nine cookies
 */
export function chunkLines(o: ResolvedOptions, name: string, value: string, extra: string): CookieLine[] {
  const attributes = o.cookieAttributes + extra;
  const count = chunkCount(name.length, value.length, attributes.length);
  if (count === 0) {
    const size = cookieHeaderBytes(name.length, value.length, 9);
    throw new SessionTooLargeError(`the session does not fit in 9 ${name} cookies; use server-side storage or store less`, size, o.cookieMaxSize);
  }
  // The usual case, one cookie: its line built once, no chunk array.
  if (count === 1) return [[name, `${name}=${value}${attributes}`]];
  return splitChunks(name, value, count, attributes.length).map((chunk, i) => {
    const n = chunkName(name, i + 1);
    return [n, `${n}=${chunk}${attributes}`];
  });
}

/**
 * The lines of a sealed cookie: with server-side storage only its header (the payload is in the store),
 * else header and payload in chunks.
 * @param o - the manager's options
 * @param name - the base cookie name
 * @param sealed - the sealed cookie as base64url text
 * @param extra - attributes appended after the manager's
 * @throws SessionError `'SESSION_TOO_LARGE'` when a cookie-stored value does not fit in nine cookies, or
 *   (header transport) in `transport.maxTokenSize`
 */
export function cookieLines(o: ResolvedOptions, name: string, sealed: { readonly header: string; readonly payload: string }, extra: string): CookieLine[] {
  if (o.storage !== undefined) return [[name, `${name}=${sealed.header}${o.cookieAttributes}${extra}`]];
  if (o.transport !== undefined) assertTokenFits(o.transport, sealed.header.length + sealed.payload.length);
  return chunkLines(o, name, sealed.header + sealed.payload, extra);
}

/**
 * The attributes that make the remember cookie persistent. Expires and Max-Age agree (fixes spec bug
 * 10.7, where Expires counted from the creation time).
 * @param now - Unix seconds
 * @param maxAge - the cookie's lifetime in seconds
 */
export function persistentAttributes(now: number, maxAge: number): string {
  return `; Expires=${httpDate(now + maxAge)}; Max-Age=${maxAge}`;
}

/**
 * The first cookie re-sent by `touch`: only its header changed, so the other chunks stay as they are.
 * @param o - the manager's options
 * @param headerText - the retouched header as base64url text
 * @param payload - the payload text (ignored with server-side storage)
 */
export function firstChunkLine(o: ResolvedOptions, headerText: string, payload: string): string {
  const value = o.storage !== undefined ? headerText : headerText + payload;
  const attributes = o.cookieAttributes.length;
  const count = o.storage !== undefined ? 1 : chunkCount(o.cookieName.length, value.length, attributes);
  const first = value.slice(0, firstChunkLength(o.cookieName, value.length, count, attributes));
  return `${o.cookieName}=${first}${o.cookieAttributes}`;
}

/**
 * Lines deleting chunks `from` .. `to` of a cookie (none when `from > to`).
 * @param o - the manager's options
 * @param name - the base cookie name
 * @param from - the first chunk index (1-based)
 * @param to - the last chunk index
 */
export function expiredLines(o: ResolvedOptions, name: string, from: number, to: number): CookieLine[] {
  const out: CookieLine[] = [];
  for (let i = from; i <= to; i++) {
    const n = chunkName(name, i);
    out.push([n, `${n}=${o.cookieAttributes}${EXPIRED}`]);
  }
  return out;
}

/**
 * Whether a request cookie is one of the session's: the session or remember cookie, or one of their
 * chunks `2` .. `9`.
 * @param o - the manager's options
 * @param name - a cookie name from the request
 */
export function isSessionCookie(o: ResolvedOptions, name: string): boolean {
  if (name === o.cookieName || name === o.rememberName) return true;
  const base = name.startsWith(o.cookieName) ? o.cookieName : name.startsWith(o.rememberName) ? o.rememberName : undefined;
  if (base === undefined) return false;
  const index = name.slice(base.length);
  return index.length === 1 && index >= '2' && index <= '9';
}
