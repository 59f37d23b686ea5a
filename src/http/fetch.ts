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
 * @example
 * const headers = new Headers();
 * const exchange = fetchExchange(request, headers);
 */
export function fetchExchange(request: Request, responseHeaders: Headers, options: FetchExchangeOptions = {}): HttpExchange {
  return {
    cookieHeader: () => request.headers.get('cookie') ?? undefined,
    requestHeader: (name) => request.headers.get(name) ?? undefined,
    remoteAddress() {
      if (options.trustProxy) {
        const forwarded = forwardedFor(request.headers.get('x-forwarded-for') ?? undefined);
        if (forwarded !== undefined) return forwarded;
      }
      return options.remoteAddress;
    },
    scheme() {
      if (options.trustProxy) {
        const proto = request.headers.get('x-forwarded-proto')?.split(',', 1)[0]?.trim().toLowerCase();
        if (proto) return proto;
      }
      try {
        return new URL(request.url).protocol.slice(0, -1);
      } catch {
        return undefined;
      }
    },
    assertWritable() {
      // A Headers object can be written until the Response is built from it.
    },
    setCookie(name, line) {
      const lines = replaceSetCookie(responseHeaders.getSetCookie(), name, line);
      responseHeaders.delete('set-cookie');
      for (const l of lines) responseHeaders.append('set-cookie', l);
    },
    setResponseHeader: (name, value) => responseHeaders.set(name, value),
    setRequestHeader(name, value) {
      // Requests from some runtimes have immutable headers; proxying code then uses the returned value
      // of clearRequestCookie() to build the upstream request.
      try {
        if (value === undefined) request.headers.delete(name);
        else request.headers.set(name, value);
      } catch {
        /* immutable headers */
      }
    },
  };
}

/**
 * Whether a value is a Fetch `Request` (its headers have a `get` method).
 * @param value - anything
 */
export function isFetchRequest(value: unknown): value is Request {
  const headers = (value as { headers?: unknown } | null)?.headers;
  return typeof (headers as { get?: unknown } | undefined)?.get === 'function' && typeof (value as { url?: unknown }).url === 'string';
}
