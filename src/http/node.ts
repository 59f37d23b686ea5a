/**
 * The `node:http` transport: a session over a raw `IncomingMessage` / `ServerResponse` (and anything
 * built on them: Express, Connect, Koa's `ctx.req`/`ctx.res`, Fastify's `request.raw`/`reply.raw`).
 * Nothing is imported from Node at run time; only the shapes are used.
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import { forwardedFor, replaceSetCookie, type ExchangeOptions, type HttpExchange } from './types.ts';

/** The parts of `http.IncomingMessage` the session reads. */
export interface NodeRequest {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string | undefined; encrypted?: boolean } | null;
}

/** The parts of `http.ServerResponse` the session writes. */
export interface NodeResponse {
  readonly headersSent: boolean;
  getHeader(name: string): number | string | string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Wraps a Node request/response pair.
 * @param req - the `IncomingMessage`
 * @param res - the `ServerResponse`
 * @param options - `trustProxy`
 * @example const exchange = nodeExchange(req, res);
 */
export function nodeExchange(req: NodeRequest, res: NodeResponse, options: ExchangeOptions = {}): HttpExchange {
  const writable = (): void => {
    if (res.headersSent) throw new SessionError('HEADERS_SENT', 'cannot write the session cookie: response headers were already sent');
  };
  return {
    cookieHeader() {
      const value = req.headers.cookie;
      return Array.isArray(value) ? value.join('; ') : value;
    },
    requestHeader: (name) => single(req.headers[name]),
    remoteAddress() {
      if (options.trustProxy) {
        const forwarded = forwardedFor(single(req.headers['x-forwarded-for']));
        if (forwarded !== undefined) return forwarded;
      }
      return req.socket?.remoteAddress ?? undefined;
    },
    scheme() {
      if (options.trustProxy) {
        const proto = single(req.headers['x-forwarded-proto'])?.split(',', 1)[0]?.trim().toLowerCase();
        if (proto) return proto;
      }
      return req.socket?.encrypted ? 'https' : 'http';
    },
    assertWritable: writable,
    setCookie(name, line) {
      writable();
      const current = res.getHeader('set-cookie');
      const lines = current === undefined ? [] : Array.isArray(current) ? current : [String(current)];
      res.setHeader('set-cookie', replaceSetCookie(lines, name, line));
    },
    setResponseHeader(name, value) {
      writable();
      res.setHeader(name, value);
    },
    setRequestHeader(name, value) {
      const key = name.toLowerCase();
      if (value === undefined) delete req.headers[key];
      else req.headers[key] = value;
    },
  };
}

/**
 * Whether a value looks like a Node `IncomingMessage` (headers as a plain object, not a `Headers`).
 * @param value - anything
 */
export function isNodeRequest(value: unknown): value is NodeRequest {
  const headers = (value as { headers?: unknown } | null)?.headers;
  return typeof headers === 'object' && headers !== null && typeof (headers as { get?: unknown }).get !== 'function';
}
