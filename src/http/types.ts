/**
 * The one seam between the session and an HTTP stack: read the request's cookies and a few headers,
 * write Set-Cookie and other response headers. `node.ts` implements it over `IncomingMessage` /
 * `ServerResponse`, `fetch.ts` over `Request` / `Headers`; framework adapters reduce to one of them.
 *
 * @module
 */
import type { CryptoBackend } from '../codec/crypto.ts';
import { Flags } from '../codec/header.ts';
import { bindDigest } from '../codec/seal.ts';

/** A request/response pair as the session sees it. */
export interface HttpExchange {
  /** The request's `Cookie` header(s), joined with `'; '` when there are several. */
  cookieHeader(): string | undefined;
  /** A request header, lower-case name. */
  requestHeader(name: string): string | undefined;
  /** The client address (from the socket, or `X-Forwarded-For` when proxies are trusted). */
  remoteAddress(): string | undefined;
  /** `'http'` or `'https'`. */
  scheme(): string | undefined;
  /**
   * Adds a `Set-Cookie` line, replacing any line for the same cookie name already on the response, so
   * that a response carries one `Set-Cookie` per name.
   * @throws SessionError `'HEADERS_SENT'` when the response can no longer carry headers
   */
  setCookie(name: string, line: string): void;
  /**
   * Throws when the response can no longer carry headers; called before any store write, so that a save
   * that cannot send its cookie writes nothing.
   * @throws SessionError `'HEADERS_SENT'`
   */
  assertWritable(): void;
  /** Sets a response header. */
  setResponseHeader(name: string, value: string): void;
  /** Sets (or, with `undefined`, removes) a request header, for requests proxied onwards. */
  setRequestHeader(name: string, value: string | undefined): void;
}

/** Where a client address and scheme come from. */
export interface ExchangeOptions {
  /** Trust `X-Forwarded-For` (leftmost address) and `X-Forwarded-Proto`. */
  readonly trustProxy?: boolean;
}

/**
 * The MAC suffix binding a cookie to this request's client, for the bind bits set in `flags` (spec 2.4),
 * or `undefined` when no bind bit is set.
 */
export function clientBinding(crypto: CryptoBackend, x: HttpExchange, flags: number): Uint8Array | undefined {
  if ((flags & (Flags.bindIp | Flags.bindScheme | Flags.bindUserAgent)) === 0) return undefined;
  return bindDigest(crypto, [
    flags & Flags.bindIp ? x.remoteAddress() : undefined,
    flags & Flags.bindScheme ? x.scheme() : undefined,
    flags & Flags.bindUserAgent ? x.requestHeader('user-agent') : undefined,
  ]);
}

/** Replaces the line for `name` in a list of Set-Cookie lines, or appends it. */
export function replaceSetCookie(lines: readonly string[], name: string, line: string): string[] {
  const prefix = `${name}=`;
  const out = lines.filter((l) => !l.startsWith(prefix));
  out.push(line);
  return out;
}

/** The leftmost address of an `X-Forwarded-For` value. */
export function forwardedFor(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = value.split(',', 1)[0]!.trim();
  return first === '' ? undefined : first;
}
