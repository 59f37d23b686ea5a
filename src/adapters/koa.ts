/**
 * `httpsession/koa`: Koa 3 (and 2, same middleware API, untested) middleware that puts the request's session on `ctx.session` and
 * commits it after the downstream middleware has run, before Koa sends the response.
 *
 * Koa writes the response only after the middleware chain resolves, so the commit (saved when changed,
 * else refreshed when due) is awaited there for every body: strings, JSON, buffers, streams, redirects,
 * with cookie or server-side storage alike. Not for `ctx.respond = false` or a handler writing to `ctx.res`
 * itself: commit before that (`await ctx.session.commit()`).
 *
 * Errors: a store outage while opening or committing is thrown with its `SessionError`, so it takes Koa's
 * error path (`app.on('error')`, a 500 from `ctx.onerror`, or your error middleware). Koa's `ctx.onerror`
 * removes every response header before the error response; the session cookies already written in the
 * failing request (a `regenerate()`, a `logout()`) are put on the error's `headers`, which Koa sends
 * again. Changes not yet saved when a downstream middleware throws are not committed.
 *
 * Nothing is imported from Koa at run time; `koa`'s types are augmented so that `ctx.session` is typed.
 *
 * @example
 * import Koa from 'koa';
 * import { koaSession } from 'httpsession/koa';
 *
 * const app = new Koa();
 * app.use(koaSession({ secret: process.env.SESSION_SECRET }));
 * app.use((ctx) => {
 *   const visits = (ctx.session.get('visits') ?? 0) + 1;
 *   ctx.session.set('visits', visits); // saved before the response goes out: no call needed
 *   ctx.body = `visit ${visits}`;
 * });
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {} from 'koa'; // the module augmented below (types only: nothing is imported at run time)
import type { SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';
import { managerOf } from './manager.ts';
import type { SessionOf } from './types.ts';

/**
 * The shape of `ctx.session`'s data. Empty here: augment it to type your attributes.
 * @example
 * declare module 'httpsession/koa' {
 *   interface SessionData { user: string; visits: number }
 * }
 */
// biome-ignore lint: an interface meant to be augmented by applications
export interface SessionData {}

/** The type of `ctx.session`: a `Session` over {@link SessionData} (any attributes while it is empty). */
export type KoaSession = SessionOf<SessionData>;

declare module 'koa' {
  interface BaseContext {
    /** The request's session, set by `koaSession()` from `httpsession/koa`. */
    session: KoaSession;
  }
}

/** Options of {@link koaSession}. */
export interface KoaSessionOptions {
  /**
   * Commit the session (save when changed, else refresh when due) after the downstream middleware.
   * Default `true`; with `false`, call `await ctx.session.save()` yourself.
   */
  autoCommit?: boolean | undefined;
}

/** The part of Koa's context the middleware uses. */
export interface KoaContextLike {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly headerSent: boolean;
  respond?: boolean | undefined;
  session?: unknown;
}

/** The middleware, for `app.use()`. */
export type KoaSessionMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/**
 * Creates the session middleware.
 * @param sessions - a {@link SessionManager} (shared with other adapters), or the options to create one
 * @param options - {@link KoaSessionOptions}
 * @returns middleware for `app.use()`
 * @throws TypeError or RangeError naming the first invalid option
 * @example
 * const sessions = createSessionManager({ secret: process.env.SESSION_SECRET });
 * app.use(koaSession(sessions));
 */
export function koaSession(sessions: SessionManager | SessionOptions, options: KoaSessionOptions = {}): KoaSessionMiddleware {
  const manager = managerOf(sessions);
  const autoCommit = options.autoCommit ?? true;
  if (typeof autoCommit !== 'boolean') throw new TypeError('"autoCommit" expected a boolean');
  return async (ctx, next) => {
    if (ctx.session !== undefined && ctx.session !== null) {
      await next(); // mounted twice: the first one's session stays
      return;
    }
    const session = await manager.start(ctx.req, ctx.res);
    ctx.session = session;
    try {
      await next();
    } catch (err) {
      keepCookies(err, ctx.res);
      throw err;
    }
    if (autoCommit && ctx.respond !== false && !ctx.headerSent) {
      // Cookie storage commits synchronously: no promise to wait for, same outcome (a failure still
      // rejects this middleware's promise, into Koa's error path).
      if (session.canSaveSync) session.commitSync();
      else await session.commit();
    }
  };
}

/**
 * Puts the Set-Cookie lines already on the response onto a thrown error's `headers`: Koa's `ctx.onerror`
 * removes every header, then sets the error's `headers`.
 */
function keepCookies(err: unknown, res: ServerResponse): void {
  if (typeof err !== 'object' || err === null || res.headersSent) return;
  const lines = res.getHeader('set-cookie');
  if (lines === undefined) return;
  const carrier = err as { headers?: Record<string, unknown> };
  const headers = typeof carrier.headers === 'object' && carrier.headers !== null ? carrier.headers : {};
  const cacheControl = res.getHeader('cache-control');
  try {
    carrier.headers = { ...headers, 'set-cookie': lines, ...(cacheControl === undefined ? {} : { 'cache-control': cacheControl }) };
  } catch {
    /* a frozen error: Koa sends it without the cookies, as it would without this adapter */
  }
}
