/**
 * The Fetch API transport: a session over a `Request` and the `Headers` of the response being built, for
 * any Fetch runtime (Node, Deno, Bun, Workers, and frameworks built on them such as Hono).
 *
 * @module
 */
import { forwardedFor, replaceSetCookie, type ExchangeOptions, type HttpExchange } from './types.ts';

/** Options of {@link fetchExchange}. */
export interface FetchExchangeOptions extends ExchangeOptions {
  /** The client address, which a `Request` does not carry (e.g. Deno's `info.remoteAddr.hostname`). */
  readonly remoteAddress?: string;
}

/**
 * Wraps a Fetch `Request` and the `Headers` the response will be built with.
 * @param request - the incoming request
 * @param responseHeaders - headers of the response; Set-Cookie lines are added here
 * @param options - `remoteAddress`, `trustProxy`
 * @returns the exchange the session reads the request from and writes the response through
 * @example
 * const headers = new Headers();
 * const exchange = fetchExchange(request, headers);
 */
export function fetchExchange(request: Request, responseHeaders: Headers, options: FetchExchangeOptions = {}): HttpExchange {
  return new FetchExchange(request, responseHeaders, options.trustProxy === true, options.remoteAddress);
}

/** The exchange over the Fetch API: a class, so a request costs one object and no closures. */
class FetchExchange implements HttpExchange {
  readonly #request: Request;
  readonly #response: Headers;
  readonly #trustProxy: boolean;
  readonly #remoteAddress: string | undefined;

  constructor(request: Request, responseHeaders: Headers, trustProxy: boolean, remoteAddress: string | undefined) {
    this.#request = request;
    this.#response = responseHeaders;
    this.#trustProxy = trustProxy;
    this.#remoteAddress = remoteAddress;
  }

  cookieHeader(): string | undefined {
    return this.#request.headers.get('cookie') ?? undefined;
  }

  requestHeader(name: string): string | undefined {
    return this.#request.headers.get(name) ?? undefined;
  }

  remoteAddress(): string | undefined {
    if (this.#trustProxy) {
      const forwarded = forwardedFor(this.#request.headers.get('x-forwarded-for') ?? undefined);
      if (forwarded !== undefined) return forwarded;
    }
    return this.#remoteAddress;
  }

  scheme(): string | undefined {
    if (this.#trustProxy) {
      const proto = this.#request.headers.get('x-forwarded-proto')?.split(',', 1)[0]?.trim().toLowerCase();
      if (proto) return proto;
    }
    try {
      return new URL(this.#request.url).protocol.slice(0, -1);
    } catch {
      return undefined;
    }
  }

  assertWritable(): void {
    // A Headers object can be written until the Response is built from it.
  }

  setCookie(name: string, line: string): void {
    const headers = this.#response;
    const current = headers.getSetCookie();
    if (current.length === 0) {
      headers.append('set-cookie', line);
      return;
    }
    const lines = replaceSetCookie(current, name, line);
    headers.delete('set-cookie');
    for (const l of lines) headers.append('set-cookie', l);
  }

  setResponseHeader(name: string, value: string): void {
    this.#response.set(name, value);
  }

  setRequestHeader(name: string, value: string | undefined): void {
    // Requests from some runtimes have immutable headers; proxying code then uses the returned value
    // of clearRequestCookie() to build the upstream request.
    try {
      if (value === undefined) this.#request.headers.delete(name);
      else this.#request.headers.set(name, value);
    } catch {
      /* immutable headers */
    }
  }
}

/**
 * Whether a value is a Fetch `Request` (its headers have a `get` method).
 * @param value - anything
 */
export function isFetchRequest(value: unknown): value is Request {
  const headers = (value as { headers?: unknown } | null)?.headers;
  return typeof (headers as { get?: unknown } | undefined)?.get === 'function' && typeof (value as { url?: unknown }).url === 'string';
}
