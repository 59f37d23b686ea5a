/**
 * Set-Cookie strings exactly as lua-resty-session writes them (spec 1.4, 1.5, 6), and chunking of long
 * cookie values over `name`, `name2` .. `name9`.
 *
 * @module
 */
import { scopeAttributes } from './grammar.ts';

/** A cookie's `name=value` may be at most this long (RFC 6265bis; the attributes are not counted). */
export const MAX_COOKIE_SIZE = 4096;
/** At most this many chunks: `name`, `name2` .. `name9`. */
export const MAX_COOKIES = 9;
/** The budget of all chunks' `name=value` together. */
export const MAX_COOKIES_SIZE = 36864;
/** 400 days: the longest a browser keeps a cookie (RFC 6265bis), so also the longest TTL worth storing. */
export const MAX_COOKIE_LIFETIME = 34_560_000;
/** What a deleted cookie carries. */
export const EXPIRED = '; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0';

/** The attributes a cookie is written with, as validated options. */
export interface CookieAttributes {
  readonly path: string;
  readonly domain?: string | undefined;
  readonly sameSite: 'Lax' | 'Strict' | 'None' | 'Default';
  readonly priority?: 'Low' | 'Medium' | 'High' | undefined;
  readonly partitioned: boolean;
  readonly secure: boolean;
  readonly httpOnly: boolean;
}

/**
 * The attribute string, built once per manager, in lua-resty-session's order:
 * `; Domain; Path; SameSite; Priority; Partitioned; Secure; HttpOnly` (Domain omitted when empty or
 * `localhost`, SameSite omitted when `'Default'`).
 *
 * Domain and Path are written by `cookie` ({@link scopeAttributes}), which checks them once more. The rest
 * is written here: `cookie`'s serializer orders the attributes `Max-Age; Domain; Path; Expires; HttpOnly;
 * Secure; Partitioned; Priority; SameSite`, and the Set-Cookie lines must be lua-resty-session's byte for
 * byte (test/session/vectors.test.ts: "destroy", "remember_medium", "timeline_touch_refresh" compare whole
 * lines with the ones Lua wrote), so its order cannot serve for these attributes, nor for the remember
 * cookie's `Expires; Max-Age` ({@link EXPIRED}, `persistentAttributes`).
 * @param a - the validated attributes
 * @returns the suffix every Set-Cookie line of the manager ends with (before Expires / Max-Age)
 * @throws TypeError (from `cookie`) for a Domain or Path the options would have refused
 * @example attributeString({ path: '/', sameSite: 'Lax', partitioned: false, secure: false, httpOnly: true })
 * // '; Path=/; SameSite=Lax; HttpOnly'
 */
export function attributeString(a: CookieAttributes): string {
  const domain = a.domain !== undefined && a.domain !== '' && a.domain !== 'localhost' ? a.domain : undefined;
  let out = scopeAttributes(domain, a.path);
  if (a.sameSite !== 'Default') out += `; SameSite=${a.sameSite}`;
  if (a.priority !== undefined) out += `; Priority=${a.priority}`;
  if (a.partitioned) out += '; Partitioned';
  if (a.secure) out += '; Secure';
  if (a.httpOnly) out += '; HttpOnly';
  return out;
}

/**
 * Formats Unix seconds as an IMF-fixdate (`Tue, 21 Nov 2023 22:13:20 GMT`).
 * @param seconds - Unix time in seconds
 */
export function httpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/**
 * How many characters of a cookie value chunk `index` (1-based) carries: what is left of 4096 bytes
 * after its name, its `=` and its attributes, so that its whole Set-Cookie line (`name=value` and the
 * attributes, RFC 6265 6.1) stays within 4096 bytes. With `attributesLength` 0 this is
 * lua-resty-session's layout, which counts `name=value` only (spec 1.4).
 * @param nameLength - length of the base cookie name (chunk names add one digit)
 * @param index - the chunk number, 1 to 9
 * @param attributesLength - length of the attribute string the line carries after the value
 */
export function chunkCapacity(nameLength: number, index: number, attributesLength = 0): number {
  return MAX_COOKIE_SIZE - nameLength - (index === 1 ? 1 : 2) - attributesLength;
}

/**
 * How many cookies a value of `valueLength` characters needs, or `0` when it cannot fit in nine. With
 * `attributesLength` 0 this is lua-resty-session's `calculate_cookie_chunks`: the fewest chunks any
 * writer uses for that value.
 * @param nameLength - length of the base cookie name
 * @param valueLength - length of the whole cookie value (header and payload)
 * @param attributesLength - length of the attribute string each line carries
 * @example chunkCount(7, 4088) // 1 (lua-resty-session's layout); chunkCount(7, 4088, 32) // 2
 */
export function chunkCount(nameLength: number, valueLength: number, attributesLength = 0): number {
  let left = valueLength;
  for (let i = 1; i <= MAX_COOKIES; i++) {
    left -= chunkCapacity(nameLength, i, attributesLength);
    if (left <= 0) return i;
  }
  return 0;
}

/** The name of chunk `index` (1-based): `name`, `name2`, ... */
export function chunkName(name: string, index: number): string {
  return index === 1 ? name : `${name}${index}`;
}

/**
 * Splits a cookie value into its chunks, each {@link chunkCapacity} characters long but the last.
 * @param name - the base cookie name
 * @param value - the whole value
 * @param count - the chunk count from {@link chunkCount}
 * @param attributesLength - the same attribute length given to {@link chunkCount}
 */
export function splitChunks(name: string, value: string, count: number, attributesLength = 0): string[] {
  if (count === 1) return [value];
  const out: string[] = [];
  let offset = 0;
  for (let i = 1; i <= count; i++) {
    const end = offset + chunkCapacity(name.length, i, attributesLength);
    out.push(value.slice(offset, end));
    offset = end;
  }
  return out;
}

/** Length of the first chunk's value of a cookie of `count` chunks (the whole value when `count` is 1). */
export function firstChunkLength(name: string, valueLength: number, count: number, attributesLength = 0): number {
  return count === 1 ? valueLength : chunkCapacity(name.length, 1, attributesLength);
}

/**
 * How many bytes a cookie value adds to the `Cookie` header a browser sends back: each chunk's
 * `name=value`, and the `; ` between chunks.
 * @param nameLength - length of the base cookie name
 * @param valueLength - length of the whole value
 * @param count - its chunk count (the digit of chunk names 2 to 9 counted)
 */
export function cookieHeaderBytes(nameLength: number, valueLength: number, count: number): number {
  return valueLength + count * (nameLength + 1) + (count - 1) * 3;
}
