/**
 * `httpsession/express`: Express (5 and 4) and Connect middleware that puts the request's session on
 * `req.session` and commits it automatically before the response's headers go out.
 *
 * Nothing is imported from Express: the middleware is a plain `(req, res, next)` function over
 * `node:http`'s request and response, so it works in Express 5, Express 4 and Connect alike.
 *
 * When the commit happens:
 * - `res.end()` (and what calls it: `res.send`, `res.json`, `res.redirect`, `res.render`): the end is held
 *   until the session is committed (saved when changed, else refreshed when due), so a server-side store
 *   write finishes before the client sees the response, and a failed commit becomes `next(err)`.
 * - headers flushed earlier, synchronously (`res.writeHead`, a first `res.write`, `res.flushHeaders`,
 *   `res.sendFile`, a piped stream): cookie storage commits right there with `commitSync()`. Server-side
 *   storage cannot (a store write is asynchronous): a change not committed by then is not saved, and the
 *   manager's logger says so. Call `await req.session.commit()` before streaming in that case.
 *
 * @example
 * import express from 'express';
 * import { expressSession } from 'httpsession/express';
 *
 * const app = express();
 * app.use(expressSession({ secret: process.env.SESSION_SECRET }));
 * app.get('/', (req, res) => {
 *   const visits = (req.session.get('visits') ?? 0) + 1;
 *   req.session.set('visits', visits); // saved before the response goes out: no call needed
 *   res.send(`visit ${visits}`);
 * });
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSessionError } from '../errors.ts';
import type { SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';
import type { Session } from '../session.ts';
import { attachSession, hookResponse, type Method, type ResponseHook } from './express-hooks.ts';
import { managerOf } from './manager.ts';
import type { SessionOf } from './types.ts';

/**
 * The shape of `req.session`'s data. Empty here: augment it to type your attributes.
 * @example
 * declare module 'httpsession/express' {
 *   interface SessionData { user: string; visits: number }
 * }
 */
// biome-ignore lint: an interface meant to be augmented by applications
export interface SessionData {}

/**
 * The type of `req.session`: a {@link Session} over {@link SessionData}, or over any attributes while
 * `SessionData` is not augmented.
 */
export type ExpressSession = SessionOf<SessionData>;

declare global {
  // biome-ignore lint: Express's own declaration-merging namespace
  namespace Express {
    interface Request {
      /** The request's session, set by `expressSession()` from `httpsession/express`. */
      session: ExpressSession;
    }
  }
}

/** Options of {@link expressSession}. */
export interface ExpressSessionOptions {
  /**
   * Commit the session (save when changed, else refresh when due) before the response goes out.
   * Default `true`; with `false`, call `await req.session.save()` yourself.
   */
  autoCommit?: boolean | undefined;
}

/** The middleware: `(req, res, next)`, for `app.use()` in Express 5, Express 4 or Connect. */
export type ExpressSessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Creates the session middleware.
 * @param sessions - a {@link SessionManager} (shared with other adapters), or the options to create one
 * @param options - {@link ExpressSessionOptions}
 * @returns middleware for `app.use()`
 * @throws TypeError or RangeError naming the first invalid option
 * @example
 * const sessions = createSessionManager({ secret: process.env.SESSION_SECRET });
 * app.use(expressSession(sessions));
 */
export function expressSession(sessions: SessionManager | SessionOptions, options: ExpressSessionOptions = {}): ExpressSessionMiddleware {
  const manager = managerOf(sessions);
  const autoCommit = options.autoCommit ?? true;
  if (typeof autoCommit !== 'boolean') throw new TypeError('"autoCommit" expected a boolean');
  const logger = manager.options.logger;
  return (req, res, next) => {
    if ((req as { session?: unknown }).session != null) {
      next(); // mounted twice (a router and its app): the first one's session stays
      return;
    }
    manager.start(req, res).then(
      (session) => {
        attachSession(req, session);
        if (autoCommit) hookResponse(res, new Commit(session, next, logger));
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/**
 * Commits the session before the response goes out: holds `res.end` until an asynchronous commit
 * finishes, and commits synchronously in `res.writeHead` for headers flushed before the end. Once done,
 * the wrappers pass straight through.
 */
class Commit implements ResponseHook {
  readonly #session: Session;
  readonly #next: (err?: unknown) => void;
  readonly #logger: { warn(message: string): void };
  /** `'open'` until the commit starts; `'committing'` while `res.end` waits for it. */
  #state: 'open' | 'committing' | 'done' = 'open';

  constructor(session: Session, next: (err?: unknown) => void, logger: { warn(message: string): void }) {
    this.#session = session;
    this.#next = next;
    this.#logger = logger;
  }

  end(res: ServerResponse, end: Method, args: unknown[]): unknown {
    if (this.#state === 'committing') return res; // a second end while the first waits: the first one ends
    if (this.#state === 'done' || res.headersSent) {
      this.#state = 'done';
      return end.apply(res, args);
    }
    const session = this.#session;
    if (session.canSaveSync) {
      this.#state = 'done';
      try {
        session.commitSync();
      } catch (err) {
        this.#next(err); // the framework's error path: nothing was sent yet
        return res;
      }
      return end.apply(res, args);
    }
    this.#state = 'committing';
    session.commit().then(
      () => {
        this.#state = 'done';
        end.apply(res, args);
      },
      (err: unknown) => {
        this.#state = 'done';
        this.#next(err);
      },
    );
    return res;
  }

  beforeHeaders(): void {
    if (this.#state !== 'open') return;
    this.#state = 'done';
    commitNow(this.#session, this.#logger);
  }
}
/**
 * The last chance before headers flush synchronously: commits with `commitSync()` when it can. A failure
 * cannot become an error response any more (the status line is being written): it is logged, and the
 * headers go out without a session cookie (nothing was saved).
 */
function commitNow(session: Session, logger: { warn(message: string): void }): void {
  try {
    if (session.canSaveSync) session.commitSync();
    else if (session.state !== 'closed' && session.isModified) {
      logger.warn('httpsession/express: headers were sent before the changed session could be saved to its store; call `await req.session.commit()` before streaming');
    }
  } catch (err) {
    const code = isSessionError(err) ? err.code : 'an error';
    logger.warn(`httpsession/express: the session could not be committed before the headers were sent (${code})`);
  }
}
