/**
 * The header transport: the session travels as a token in a request header (`Authorization: Bearer
 * <token>`, or a named header) and comes back in a response header, for clients without cookies. The token
 * is exactly the session cookie's value (header and payload, base64url), so opening, timeouts, rotation,
 * revocation and binding are the cookie path's own, unchanged.
 *
 * It is a wrapper around the exchange of the HTTP stack: to the session it presents the token as the
 * session cookie, and it turns the session's Set-Cookie lines back into one token. It keeps the cookie the
 * client holds as a browser would (chunk by chunk: a save writes every chunk, a touch only the first, a
 * destroy expires them all) and after each write sends the whole value in the response header, or an
 * empty value once the session is gone. So the client never sees chunks; the token's size is capped by
 * `transport.maxTokenSize` instead ({@link assertTokenFits}). The request's real `Cookie` header is never
 * read: a header transport does not fall back to cookies.
 *
 * @module
 */
import { chunkCount, chunkName, EXPIRED, MAX_COOKIES_SIZE, splitChunks } from '../cookie/serialize.ts';
import { SessionTooLargeError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { ResolvedHeaderTransport } from '../options/transport.ts';
import type { HttpExchange } from './types.ts';

// The characters of a sealed value (base64url). Anything else cannot be a session's token.
const TOKEN_CHARS = /^[A-Za-z0-9_-]+$/;

/**
 * The token of a request header value: after the scheme (matched in any case) when one is configured.
 * Never throws: a value of another scheme (`Basic ...`) or an empty one is no token.
 * @param value - the request header's value, attacker-controlled
 * @param scheme - the scheme in lower case, or `undefined` for a bare token
 * @returns the token, or `undefined` when the header carries none
 * @example tokenOf('Bearer AQAA...', 'bearer') // 'AQAA...'
 */
export function tokenOf(value: string | undefined, scheme: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let token = value.trim();
  if (scheme !== undefined) {
    // RFC 9110 11.4: credentials = auth-scheme [ 1*SP ( token68 / ... ) ].
    const space = token.indexOf(' ');
    if (space !== scheme.length || token.slice(0, space).toLowerCase() !== scheme) return undefined;
    token = token.slice(space + 1).trimStart();
  }
  return token === '' ? undefined : token;
}

/**
 * The token as the session cookie's chunks, cut as the session writes them (each Set-Cookie line with its
 * attributes within 4096 bytes), so that a touch, which re-sends the first chunk only, replaces exactly
 * that chunk. A token with characters no
 * sealed value has keeps its length with those characters replaced by `~` (not base64url either), so the
 * reader judges it `malformed` without the Cookie syntax ever splitting it; one longer than the reader's
 * limit is passed whole, which the reader refuses as `oversized` before decoding anything.
 */
function chunksOf(name: string, token: string, attributesLength: number): string[] {
  if (token.length > MAX_COOKIES_SIZE) return [token.slice(0, MAX_COOKIES_SIZE + 1)];
  if (!TOKEN_CHARS.test(token)) return [token.replace(/[^A-Za-z0-9_-]/g, '~')];
  const count = chunkCount(name.length, token.length, attributesLength);
  return count < 2 ? [token] : splitChunks(name, token, count, attributesLength);
}

/**
 * Refuses a token a save would return over the budget, before anything is written or stored.
 * @param t - the header transport
 * @param length - the token's length (the sealed cookie value's)
 * @throws SessionTooLargeError (`'SESSION_TOO_LARGE'`, its `size` and `maxSize` in characters) when it is
 *   longer than `maxTokenSize`
 */
export function assertTokenFits(t: ResolvedHeaderTransport, length: number): void {
  if (length <= t.maxTokenSize) return;
  throw new SessionTooLargeError(
    `the session token would be ${length} characters, over "transport.maxTokenSize" (${t.maxTokenSize}); use server-side storage (a 110-character token) or store less`,
    length,
    t.maxTokenSize,
  );
}

/**
 * Wraps an exchange so that the session travels in headers.
 * @param inner - the HTTP stack's exchange
 * @param t - the header transport (`options.transport`)
 * @param o - the manager's options: the session cookie's name, which the token stands in for, and its
 *   attributes, which fix the chunk layout
 * @returns the exchange the session reads and writes through
 * @example const exchange = headerExchange(nodeExchange(req, res), options.transport, options);
 */
export function headerExchange(inner: HttpExchange, t: ResolvedHeaderTransport, o: ResolvedOptions): HttpExchange {
  return new HeaderExchange(inner, t, o.cookieName, o.cookieAttributes.length);
}

class HeaderExchange implements HttpExchange {
  readonly #x: HttpExchange;
  readonly #t: ResolvedHeaderTransport;
  readonly #name: string;
  readonly #attributesLength: number;
  /** The value of each chunk the client holds (index 0 is the first); read from the request on first use. */
  #chunks: Array<string | undefined> | undefined;

  constructor(inner: HttpExchange, t: ResolvedHeaderTransport, cookieName: string, attributesLength: number) {
    this.#x = inner;
    this.#t = t;
    this.#name = cookieName;
    this.#attributesLength = attributesLength;
  }

  #held(): Array<string | undefined> {
    if (this.#chunks === undefined) {
      const token = tokenOf(this.#x.requestHeader(this.#t.requestHeader), this.#t.scheme);
      this.#chunks = token === undefined ? [] : chunksOf(this.#name, token, this.#attributesLength);
    }
    return this.#chunks;
  }

  /** The token, as the session cookie and its chunks; never the request's real cookies. */
  cookieHeader(): string | undefined {
    const chunks = this.#held();
    if (chunks.length === 0) return undefined;
    let out = '';
    for (let i = 0; i < chunks.length; i++) out += `${i === 0 ? '' : '; '}${chunkName(this.#name, i + 1)}=${chunks[i]!}`;
    return out;
  }

  requestHeader(name: string): string | undefined {
    return this.#x.requestHeader(name);
  }

  remoteAddress(): string | undefined {
    return this.#x.remoteAddress();
  }

  scheme(): string | undefined {
    return this.#x.scheme();
  }

  assertWritable(): void {
    this.#x.assertWritable();
  }

  /** Applies a Set-Cookie line of the session cookie to the token the client holds, and sends the token. */
  setCookie(name: string, line: string): void {
    const index = this.#chunkIndex(name);
    // Only the session cookie travels; the remember cookie is refused with this transport at construction.
    if (index === 0) return;
    this.#x.assertWritable();
    const chunks = this.#held();
    const end = line.indexOf(';');
    chunks[index - 1] = line.endsWith(EXPIRED) ? undefined : line.slice(name.length + 1, end === -1 ? line.length : end);
    let token = '';
    for (let i = 0; i < chunks.length && chunks[i] !== undefined; i++) token += chunks[i]!;
    this.#x.setResponseHeader(this.#t.responseHeader, token);
  }

  setResponseHeader(name: string, value: string): void {
    this.#x.setResponseHeader(name, value);
  }

  /** `clearRequestCookie()` removes the session's credentials: here the token's request header. */
  setRequestHeader(name: string, value: string | undefined): void {
    if (name === 'cookie') this.#x.setRequestHeader(this.#t.requestHeader, undefined);
    else this.#x.setRequestHeader(name, value);
  }

  /** 1 for the session cookie, 2 .. 9 for its chunks, 0 for any other name. */
  #chunkIndex(name: string): number {
    if (name === this.#name) return 1;
    if (name.length !== this.#name.length + 1 || !name.startsWith(this.#name)) return 0;
    const digit = name.charCodeAt(name.length - 1) - 48;
    return digit >= 2 && digit <= 9 ? digit : 0;
  }
}
