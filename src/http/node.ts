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
  /** Whether the headers are already out (a save then rejects with `'HEADERS_SENT'`). */
  readonly headersSent: boolean;
  /** Reads a response header (the Set-Cookie lines already set, to merge with). */
  getHeader(name: string): number | string | string[] | undefined;
  /** Sets a response header (Set-Cookie, Cache-Control, the session headers). */
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
 * @returns the exchange the session reads the request from and writes the response through
 * @example const exchange = nodeExchange(req, res);
 */
export function nodeExchange(req: NodeRequest, res: NodeResponse, options: ExchangeOptions = {}): HttpExchange {
  return new NodeExchange(req, res, options.trustProxy === true);
}

/**
 * The exchange over `node:http`. A class rather than an object of closures: one is made per request, and
 * methods on a prototype cost nothing to create.
 */
class NodeExchange implements HttpExchange {
  readonly #req: NodeRequest;
  readonly #res: NodeResponse;
  readonly #trustProxy: boolean;

  constructor(req: NodeRequest, res: NodeResponse, trustProxy: boolean) {
    this.#req = req;
    this.#res = res;
    this.#trustProxy = trustProxy;
  }

  cookieHeader(): string | undefined {
    const value = this.#req.headers.cookie;
    return Array.isArray(value) ? value.join('; ') : value;
  }

  requestHeader(name: string): string | undefined {
    return single(this.#req.headers[name]);
  }

  remoteAddress(): string | undefined {
    const req = this.#req;
    if (this.#trustProxy) {
      const forwarded = forwardedFor(single(req.headers['x-forwarded-for']));
      if (forwarded !== undefined) return forwarded;
    }
    return req.socket?.remoteAddress ?? undefined;
  }

  scheme(): string | undefined {
    const req = this.#req;
    if (this.#trustProxy) {
      const proto = single(req.headers['x-forwarded-proto'])?.split(',', 1)[0]?.trim().toLowerCase();
      if (proto) return proto;
    }
    return req.socket?.encrypted ? 'https' : 'http';
  }

  assertWritable(): void {
    if (this.#res.headersSent) throw new SessionError('HEADERS_SENT', 'cannot write the session cookie: response headers were already sent');
  }

  setCookie(name: string, line: string): void {
    this.assertWritable();
    const res = this.#res;
    const current = res.getHeader('set-cookie');
    if (current === undefined) {
      res.setHeader('set-cookie', [line]);
      return;
    }
    res.setHeader('set-cookie', replaceSetCookie(Array.isArray(current) ? current : [String(current)], name, line));
  }

  setResponseHeader(name: string, value: string): void {
    this.assertWritable();
    this.#res.setHeader(name, value);
  }

  setRequestHeader(name: string, value: string | undefined): void {
    const key = name.toLowerCase();
    if (value === undefined) delete this.#req.headers[key];
    else this.#req.headers[key] = value;
  }
}

/**
 * Whether a value looks like a Node `IncomingMessage` (headers as a plain object, not a `Headers`).
 * @param value - anything
 */
export function isNodeRequest(value: unknown): value is NodeRequest {
  const headers = (value as { headers?: unknown } | null)?.headers;
  return typeof headers === 'object' && headers !== null && typeof (headers as { get?: unknown }).get !== 'function';
}
