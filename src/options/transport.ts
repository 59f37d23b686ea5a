/**
 * The `transport` option: where the sealed session travels. Cookies by default; or, for clients without
 * cookies (native apps, CLIs, API clients, tests), a request header (`Authorization: Bearer <token>` or a
 * named header) with the new token returned in a response header on every write. The token is the same
 * sealed value a session cookie holds (docs/guide.md, "Header transport").
 *
 * @module
 */
import { describe } from './validate.ts';

/** The header transport's settings (`transport: 'header'` takes every default). */
export interface HeaderTransportOptions {
  /** The request header the token comes in. Default `'Authorization'`. */
  requestHeader?: string | undefined;
  /**
   * The authentication scheme before the token in the request header, matched in any case (RFC 9110
   * 11.1). Default `'Bearer'` with `Authorization`, none with any other header; `''` for none.
   */
  scheme?: string | undefined;
  /** The response header a write returns the token in; an empty value means "discard it". Default `'Session-Token'`. */
  responseHeader?: string | undefined;
  /**
   * The longest token a save may return, in characters; a larger session fails to save with
   * `SESSION_TOO_LARGE` (use server-side storage: its token is 110 characters). Default 8000, which fits
   * the 8 KiB per-header limits of common servers and proxies (Apache's 8190 bytes, nginx's 8k buffers)
   * with the header's name and scheme. From 512 to 32768 (what nine cookies' worth of chunks holds, the
   * reader's layout). It replaces `cookie.maxSize`, which does not apply to a header transport: a request
   * token over it is not decoded (reason `'oversized'`) and the response returns an empty token.
   */
  maxTokenSize?: number | undefined;
}

/** Where the session travels: `'cookie'` (the default), or a header (`'header'` for the defaults). */
export type TransportOption = 'cookie' | 'header' | HeaderTransportOptions;

/** The validated header transport. */
export interface ResolvedHeaderTransport {
  /** Lower case, as the exchanges read request headers. */
  readonly requestHeader: string;
  /** Lower case; `undefined` for a bare token. */
  readonly scheme: string | undefined;
  /** As configured (written as given). */
  readonly responseHeader: string;
  readonly maxTokenSize: number;
}

/** The default token budget (see {@link HeaderTransportOptions.maxTokenSize}). */
export const DEFAULT_MAX_TOKEN_SIZE = 8000;
const MIN_TOKEN_SIZE = 512;
const MAX_TOKEN_SIZE = 32768;

// RFC 9110 token: the grammar of a header name and of an auth-scheme.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Headers with another meaning to HTTP or to the session: a token there would be lost or break the message.
const RESERVED = ['cookie', 'set-cookie', 'host', 'connection', 'content-length', 'transfer-encoding', 'cache-control', 'keep-alive', 'upgrade', 'te', 'trailer'];

function headerName(value: unknown, option: string, fallback: string, taken: readonly string[]): string {
  const name = value ?? fallback;
  if (typeof name !== 'string' || !TOKEN.test(name) || name.length > 64) {
    throw new TypeError(`"${option}" expected a header name (an RFC 9110 token of at most 64 characters), got ${JSON.stringify(name)}`);
  }
  const lower = name.toLowerCase();
  if (RESERVED.includes(lower) || taken.includes(lower)) throw new TypeError(`"${option}" must not be ${JSON.stringify(name)}: that header has another use`);
  return name;
}

/**
 * Validates the `transport` option.
 * @param value - the user's `transport` option
 * @param taken - response headers the session already writes for other things (`Session-Id`, ...), lower case
 * @returns the header transport, or `undefined` for cookies
 * @throws TypeError or RangeError naming the first invalid `transport.*` setting
 * @example resolveTransport('header', []) // { requestHeader: 'authorization', scheme: 'bearer', responseHeader: 'Session-Token', maxTokenSize: 8000 }
 */
export function resolveTransport(value: TransportOption | undefined, taken: readonly string[]): ResolvedHeaderTransport | undefined {
  if (value === undefined || value === 'cookie') return undefined;
  const t: HeaderTransportOptions = value === 'header' ? {} : value;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) {
    throw new TypeError(`"transport" expected 'cookie', 'header' or an object, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`);
  }
  const requestHeader = headerName(t.requestHeader, 'transport.requestHeader', 'Authorization', []).toLowerCase();
  const scheme = t.scheme ?? (requestHeader === 'authorization' ? 'Bearer' : '');
  if (typeof scheme !== 'string' || (scheme !== '' && !TOKEN.test(scheme))) {
    throw new TypeError(`"transport.scheme" expected an authentication scheme (an RFC 9110 token) or '', got ${JSON.stringify(scheme)}`);
  }
  const responseHeader = headerName(t.responseHeader, 'transport.responseHeader', 'Session-Token', taken);
  const maxTokenSize = t.maxTokenSize ?? DEFAULT_MAX_TOKEN_SIZE;
  if (typeof maxTokenSize !== 'number' || !Number.isInteger(maxTokenSize) || maxTokenSize < MIN_TOKEN_SIZE || maxTokenSize > MAX_TOKEN_SIZE) {
    throw new RangeError(`"transport.maxTokenSize" expected an integer from ${MIN_TOKEN_SIZE} to ${MAX_TOKEN_SIZE}, got ${String(maxTokenSize)}`);
  }
  return { requestHeader, scheme: scheme === '' ? undefined : scheme.toLowerCase(), responseHeader, maxTokenSize };
}
