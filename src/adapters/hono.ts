/**
 * Hono 4 adapter: middleware that puts the request's session in the context (`c.get('session')`,
 * `c.var.session`) and commits it after the handler, before the response leaves `app.fetch`.
 *
 * - Before `next()`: `sessions.start()` over `c.req.raw` and a `Headers` of its own, where the session
 *   writes its Set-Cookie lines (one per cookie name, however often the handler saves).
 * - After `next()`: `session.commit()` (saved when changed, touched when due), then the lines are appended
 *   to `c.res`: to its headers when they are mutable, else (a `Response.redirect()`, a `fetch()`ed
 *   response) to a copy of the response. An error the handler threw has become `onError`'s response by
 *   then, and gets the lines too.
 * - A failing `start()` or `commit()` throws the `SessionError` to Hono's `onError`; lines written before
 *   the failure (a `regenerate()` that succeeded) stay on the response Hono's `onError` builds.
 *
 * Nothing is imported from Hono at run time; its types only.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono';
import { fetchExchange } from '../http/fetch.ts';
import type { SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';
import type { Session } from '../session.ts';
import { managerOf } from './manager.ts';

/**
 * The Hono environment the middleware provides: `c.get('session')` is a `Session<Data>`.
 * @typeParam Data - the application's attributes, e.g. `{ visits: number; user: string }`
 * @example
 * const app = new Hono<SessionEnv<{ visits: number }>>();
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export type SessionEnv<Data extends Record<string, unknown> = Record<string, any>> = {
  Variables: { session: Session<Data> };
};

/** Options of {@link honoSession} besides the manager. */
export interface HonoSessionOptions {
  /**
   * The client address, for `bind: ['ip']` (a `Request` does not carry it). Default: the socket's address
   * on @hono/node-server (`c.env.incoming`), else none.
   */
  remoteAddress?: ((c: Context) => string | undefined) | undefined;
}

/** The client address @hono/node-server exposes through `c.env.incoming`. */
function nodeServerAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/**
 * Moves the session's response headers onto `c.res`: Set-Cookie lines appended, others set. Headers of a
 * `Response.redirect()` or a fetched response are immutable: the response is then copied first.
 */
function applyHeaders(c: Context, pending: Headers, others: boolean): void {
  const lines = pending.getSetCookie();
  if (lines.length === 0 && !others) return;
  const write = (headers: Headers): void => {
    pending.forEach((value, name) => {
      if (name !== 'set-cookie') headers.set(name, value);
    });
    for (const line of lines) headers.append('set-cookie', line);
  };
  try {
    write(c.res.headers);
  } catch {
    // Immutable headers throw on the first write, before anything changed. Hono's `res` setter copies the
    // response into a new one, whose headers are mutable.
    c.res = new Response(c.res.body, c.res);
    write(c.res.headers);
  }
}

/**
 * The httpsession middleware for Hono 4.
 * @param sessions - a manager from `createSessionManager`, or the options to create one
 * @param options - `remoteAddress`
 * @returns the middleware; mount it before the routes that use the session
 * @throws TypeError or RangeError naming the first invalid option
 * @example
 * import { Hono } from 'hono';
 * import { honoSession } from 'httpsession/hono';
 * const app = new Hono()
 *   .use(honoSession<{ visits: number }>({ secret: process.env.SESSION_SECRET }))
 *   .get('/', (c) => {
 *     const session = c.get('session');
 *     const visits = (session.get('visits') ?? 0) + 1;
 *     session.set('visits', visits); // committed after the handler, no save() call
 *     return c.text(`visit ${visits}`);
 *   });
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function honoSession<Data extends Record<string, unknown> = Record<string, any>>(
  sessions: SessionManager<Data> | SessionOptions,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const manager = managerOf<Data>(sessions);
  const remoteAddress = options.remoteAddress ?? nodeServerAddress;
  const { trustProxy, responseHeaders } = manager.options;
  const others = responseHeaders.length > 0;
  return async (c, next) => {
    const pending = new Headers();
    const address = remoteAddress(c);
    const exchange = fetchExchange(c.req.raw, pending, address === undefined ? { trustProxy } : { trustProxy, remoteAddress: address });
    const session = await manager.start(exchange);
    c.set('session', session);
    await next();
    try {
      await session.commit();
    } catch (error) {
      session.close();
      throw error;
    } finally {
      applyHeaders(c, pending, others);
    }
  };
}
