/**
 * The few declarations the bench needs of its peers.
 *
 * Why here and not from the packages: the root `npm test` type-checks `bench/` (tsconfig `include`) on a
 * fresh clone, where `bench/node_modules` is not installed; and several peers ship no types at all.
 * Ambient module declarations win over whatever a package ships, so the check is the same with or
 * without `bench/node_modules`. Only what the bench calls is declared.
 */

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** http-parser-js's headers-complete info: `headers` is a flat `[name, value, name, value, ...]` list. */
  export interface ResponseHeadersInfo {
    statusCode: number;
    headers: string[];
  }

  export interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
  }

  export interface Client extends EventEmitter {
    setHeaders(headers: Record<string, string>): void;
    setRequests(requests: Request[]): void;
    on(event: 'headers', listener: (info: ResponseHeadersInfo) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
    requests?: Request[];
    setupClient?: (client: Client) => void;
  }

  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p99: number;
  }

  export interface Result {
    requests: Histogram;
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  export interface Instance extends EventEmitter {
    on(event: 'response', listener: (client: Client, statusCode: number, resBytes: number, responseTime: number) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    stop(): void;
  }

  function autocannon(options: Options, callback: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
}

declare module 'express-session' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  namespace session {
    /** What a store holds: the user's data and the cookie. */
    interface SessionData {
      cookie: { originalMaxAge: number | null; expires?: Date | string | null };
      [key: string]: unknown;
    }
    type Callback<T = void> = (error?: unknown, value?: T) => void;
    class Store extends EventEmitter {
      get(sid: string, callback: (error: unknown, session?: SessionData | null) => void): void;
      set(sid: string, session: SessionData, callback?: Callback): void;
      destroy(sid: string, callback?: Callback): void;
      touch?(sid: string, session: SessionData, callback?: Callback): void;
    }
    class MemoryStore extends Store {}
    interface Options {
      secret: string;
      resave: boolean;
      saveUninitialized: boolean;
      store?: Store;
      cookie?: { maxAge?: number; secure?: boolean };
    }
  }
  function session(options: session.Options): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  export default session;
}

declare module 'connect-redis' {
  import session from 'express-session';

  export class RedisStore extends session.Store {
    constructor(options: { client: unknown; prefix?: string; ttl?: number });
  }
}

declare module 'connect-pg-simple' {
  import type session from 'express-session';

  function connectPgSimple(s: typeof session): new (options: {
    pool: unknown;
    tableName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: number | false;
  }) => session.Store;
  export default connectPgSimple;
}

declare module 'koa-session' {
  import type Koa from 'koa';

  function session(options: { key?: string; signed?: boolean }, app: Koa): Koa.Middleware;
  export default session;
}

declare module 'connect-memcached' {
  import type session from 'express-session';

  function connectMemcached(s: typeof session): new (options: { hosts: string[]; prefix?: string }) => session.Store;
  export default connectMemcached;
}

declare module 'express-mysql-session' {
  import type session from 'express-session';

  function expressMysqlSession(s: typeof session): new (
    options: { clearExpired?: boolean; createDatabaseTable?: boolean; schema?: { tableName?: string } },
    connection?: unknown,
  ) => session.Store & { onReady(): Promise<void> };
  export default expressMysqlSession;
}

declare module 'iron-session' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface SessionOptions {
    password: string;
    cookieName: string;
    cookieOptions?: { secure?: boolean; httpOnly?: boolean; path?: string };
  }
  export type IronSession<T> = T & { save(): Promise<void>; destroy(): void };
  export function getIronSession<T extends object>(req: IncomingMessage, res: ServerResponse, options: SessionOptions): Promise<IronSession<T>>;
}

declare module 'cookie-session' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  function cookieSession(options: {
    name?: string;
    keys: string[];
  }): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;
  export default cookieSession;
}

// Fastify itself is a devDependency of the root (the adapter's tests): its own types are used. The plugins'
// augmentations of `request.session` would clash with httpsession's, so the servers read the session
// through the small shapes below.
declare module '@fastify/secure-session' {
  import type { FastifyPluginCallback } from 'fastify';

  const secureSession: FastifyPluginCallback<{ key: Buffer; cookie?: { path?: string; httpOnly?: boolean } }>;
  export default secureSession;
}

declare module '@fastify/cookie' {
  import type { FastifyPluginCallback } from 'fastify';

  const fastifyCookie: FastifyPluginCallback;
  export default fastifyCookie;
}

declare module '@fastify/session' {
  import type { FastifyPluginCallback } from 'fastify';

  const fastifySession: FastifyPluginCallback<{ secret: string; cookie?: { secure?: boolean }; saveUninitialized?: boolean }>;
  export default fastifySession;
}

// Hono itself is a devDependency of the root (the adapter's tests): its own types are used.
declare module 'hono-sessions' {
  import type { MiddlewareHandler } from 'hono';

  export interface Session<Data> {
    get<K extends keyof Data>(key: K): Data[K] | undefined;
    set<K extends keyof Data>(key: K, value: Data[K]): void;
  }
  export class CookieStore {}
  export function sessionMiddleware(options: {
    store: CookieStore;
    encryptionKey: string;
    expireAfterSeconds?: number;
    cookieOptions?: { path?: string; httpOnly?: boolean; sameSite?: 'Lax' | 'Strict' | 'None' };
  }): MiddlewareHandler;
}

declare module '@hono/session' {
  import type { MiddlewareHandler } from 'hono';

  export interface Session<Data> {
    get(): Promise<Data | null>;
    update(data: Data): Promise<void>;
  }
  export type SessionEnv<Data> = { Variables: { session: Session<Data> } };
  export function useSession<Data>(options?: { secret?: string }): MiddlewareHandler<SessionEnv<Data>>;
}
