/**
 * Shared helpers for the transport and security tests: real `node:http` servers on an ephemeral port,
 * fake Node request/response pairs, a cookie jar, an `onInvalid` recorder and counting wrappers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvalidCookie } from '../../src/errors.ts';
import type { CryptoBackend } from '../../src/codec/crypto.ts';
import type { Storage } from '../../src/storage/types.ts';
import { vector, vectorFile } from './vectors.ts';

/** The secret of the lua-resty-session vectors. */
export const VECTOR_SECRET = vectorFile.secret;
/** The audience of the `basic` vector. */
export const VECTOR_AUDIENCE = 'my_application';
/** The clock the vectors were issued at. */
export const VECTOR_CLOCK = 1_700_000_000;
/** A secret long enough not to trigger the short-secret warning. */
export const LONG_SECRET = 'k7Qe9Zr2Lm4Xv8Tb1Np6Wd3Hs5Jc0Gf-long-test-secret';
/** A logger that swallows warnings (the vector secret is short on purpose). */
export const quietLogger = { warn(): void {} };

/** The session cookie value (`session=<this>`) a vector's response set. */
export function vectorCookie(name: string): string {
  const line = vector(name).response?.set_cookie?.[0];
  if (line === undefined) throw new Error(`vector ${name} has no Set-Cookie`);
  const pair = line.split(';', 1)[0]!;
  return pair.slice(pair.indexOf('=') + 1);
}

/** Records `onInvalid` events. */
export function invalidRecorder(): { events: InvalidCookie[]; onInvalid: (event: InvalidCookie) => void } {
  const events: InvalidCookie[] = [];
  return { events, onInvalid: (event) => void events.push(event) };
}

/** A fake `IncomingMessage` / `ServerResponse` pair, enough for `manager.open(req, res)`. */
export interface FakeNodePair {
  req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string; encrypted?: boolean } };
  res: {
    headersSent: boolean;
    getHeader(name: string): number | string | string[] | undefined;
    setHeader(name: string, value: number | string | readonly string[]): unknown;
  };
  /** The Set-Cookie lines written so far. */
  setCookies(): string[];
}

/**
 * Builds a fake Node request/response pair (no socket, any header bytes allowed).
 * @param cookie - the Cookie header (a string or several header lines)
 * @param headers - other request headers (lower-case names)
 */
export function fakeNode(cookie?: string | string[], headers: Record<string, string> = {}, remoteAddress = '127.0.0.1'): FakeNodePair {
  const out = new Map<string, number | string | string[]>();
  const req: FakeNodePair['req'] = { headers: { ...headers }, socket: { remoteAddress } };
  if (cookie !== undefined) req.headers.cookie = cookie;
  const res: FakeNodePair['res'] = {
    headersSent: false,
    getHeader: (name) => out.get(name.toLowerCase()),
    setHeader(name, value) {
      out.set(name.toLowerCase(), typeof value === 'object' ? [...value] : value);
      return res;
    },
  };
  const setCookies = (): string[] => {
    const v = out.get('set-cookie');
    return v === undefined ? [] : Array.isArray(v) ? [...v] : [String(v)];
  };
  return { req, res, setCookies };
}

/** The `name=value` pairs of Set-Cookie lines (deleted cookies, `Max-Age=0`, excluded) as a Cookie header. */
export function cookieHeaderOf(setCookies: readonly string[]): string {
  return setCookies
    .filter((line) => !/;\s*Max-Age=0(;|$)/i.test(line))
    .map((line) => line.split(';', 1)[0]!)
    .join('; ');
}

/** A minimal browser cookie jar: applies Set-Cookie lines, renders a Cookie header. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Applies Set-Cookie lines (a `Max-Age=0` line deletes). */
  update(setCookies: readonly string[]): this {
    for (const line of setCookies) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/;\s*Max-Age=0(;|$)/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1));
    }
    return this;
  }

  /** A cookie's value. */
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** The Cookie header, or `undefined` when the jar is empty. */
  header(): string | undefined {
    return this.#cookies.size === 0 ? undefined : [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** A request handler for {@link withServer}; a thrown error becomes a 500 with its message. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/**
 * Runs `fn` against a real `node:http` server listening on 127.0.0.1 port 0, and closes it afterwards
 * (whatever `fn` does).
 * @param handler - the request handler
 * @param fn - receives the base URL (`http://127.0.0.1:<port>`)
 */
export async function withServer<T>(handler: Handler, fn: (base: string, server: http.Server) => Promise<T>): Promise<T> {
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        } else if (!res.writableEnded) res.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  try {
    return await fn(`http://127.0.0.1:${port}`, server);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A response read by {@link rawRequest}. */
export interface RawResponse {
  status: number;
  setCookies: string[];
  body: string;
}

/**
 * Sends a GET with headers in Node's raw flat-array form, so that one header name can be sent on several
 * lines (e.g. two `Cookie` headers), which `fetch()` cannot do.
 * @param base - `http://127.0.0.1:<port>`
 * @param rawHeaders - `[name, value, name, value, ...]`; a `host` header is added
 */
export function rawRequest(base: string, rawHeaders: string[], path = '/'): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: 'GET', headers: ['host', url.host, 'connection', 'close', ...rawHeaders] },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const sc = res.headers['set-cookie'];
          resolve({ status: res.statusCode ?? 0, setCookies: sc ?? [], body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Call counts of a {@link countingStorage}. */
export interface StorageCalls {
  get: number;
  set: number;
  delete: number;
  other: number;
}

/** Wraps a store so every call is counted, delegating to it. */
export function countingStorage(inner: Storage): { storage: Storage; calls: StorageCalls; total(): number } {
  const calls: StorageCalls = { get: 0, set: 0, delete: 0, other: 0 };
  const storage: Storage = {
    name: inner.name,
    get(namespace, key, now) {
      calls.get++;
      return inner.get(namespace, key, now);
    },
    set(input) {
      calls.set++;
      return inner.set(input);
    },
    delete(namespace, key, now, metadata) {
      calls.delete++;
      return inner.delete(namespace, key, now, metadata);
    },
    readMetadata(namespace, audience, subject, now) {
      calls.other++;
      return inner.readMetadata ? inner.readMetadata(namespace, audience, subject, now) : Promise.resolve(new Map());
    },
    close() {
      calls.other++;
      return inner.close ? inner.close() : Promise.resolve();
    },
  };
  return { storage, calls, total: () => calls.get + calls.set + calls.delete + calls.other };
}

/** Wraps a crypto backend so every primitive call is counted (to prove that input was never decoded). */
export function countingCrypto(inner: CryptoBackend): { crypto: CryptoBackend; calls: () => number; reset: () => void } {
  let n = 0;
  const crypto: CryptoBackend = {
    name: inner.name,
    sha256: (data) => (n++, inner.sha256(data)),
    hmacSha256: (key, data, more) => (n++, inner.hmacSha256(key, data, more)),
    encrypt: (key, iv, plaintext, aad) => (n++, inner.encrypt(key, iv, plaintext, aad)),
    decrypt: (key, iv, ciphertext, tag, aad) => (n++, inner.decrypt(key, iv, ciphertext, tag, aad)),
    pbkdf2: (password, salt, iterations, length) => (n++, inner.pbkdf2(password, salt, iterations, length)),
  };
  return { crypto, calls: () => n, reset: () => void (n = 0) };
}
