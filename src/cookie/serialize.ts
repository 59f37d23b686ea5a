/**
 * Set-Cookie strings exactly as lua-resty-session writes them (spec 1.4, 1.5, 6), and chunking of long
 * cookie values over `name`, `name2` .. `name9`.
 *
 * @module
 */

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
 * @example attributeString({ path: '/', sameSite: 'Lax', partitioned: false, secure: false, httpOnly: true })
 * // '; Path=/; SameSite=Lax; HttpOnly'
 */
export function attributeString(a: CookieAttributes): string {
  let out = '';
  if (a.domain !== undefined && a.domain !== '' && a.domain !== 'localhost') out += `; Domain=${a.domain}`;
  out += `; Path=${a.path}`;
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
 * How many cookies a value of `valueLength` characters needs under `nameLength`-character names
 * (lua-resty-session's `calculate_cookie_chunks`), or `0` when it cannot fit in nine.
 * @param nameLength - length of the base cookie name
 * @param valueLength - length of the whole cookie value (header and payload)
 */
export function chunkCount(nameLength: number, valueLength: number): number {
  let need = nameLength + 1 + valueLength;
  if (need > MAX_COOKIES_SIZE) return 0;
  if (need <= MAX_COOKIE_SIZE) return 1;
  for (let i = 2; i <= MAX_COOKIES; i++) {
    need += nameLength + 2;
    if (need > MAX_COOKIES_SIZE) return 0;
    if (need <= MAX_COOKIE_SIZE * i) return i;
  }
  return 0;
}

/** The name of chunk `index` (1-based): `name`, `name2`, ... */
export function chunkName(name: string, index: number): string {
  return index === 1 ? name : `${name}${index}`;
}

/**
 * Splits a cookie value into its chunks: the first carries `4096 - name.length - 1` characters (the
 * header and the start of the payload), each later one `4096 - name.length - 2`.
 * @param name - the base cookie name
 * @param value - the whole value
 * @param count - the chunk count from {@link chunkCount}
 */
export function splitChunks(name: string, value: string, count: number): string[] {
  if (count === 1) return [value];
  const first = MAX_COOKIE_SIZE - name.length - 1;
  const rest = MAX_COOKIE_SIZE - name.length - 2;
  const out = [value.slice(0, first)];
  for (let offset = first; offset < value.length; offset += rest) out.push(value.slice(offset, offset + rest));
  return out;
}

/** Length of the first chunk's value of a cookie of `count` chunks (the whole value when `count` is 1). */
export function firstChunkLength(name: string, valueLength: number, count: number): number {
  return count === 1 ? valueLength : MAX_COOKIE_SIZE - name.length - 1;
}
