/**
 * h3 1.x adapter (on Node: `toNodeListener`, Nitro 2's node presets): the session of an event, opened
 * once per request and committed automatically before the response's headers go out.
 *
 * Two ways in, which combine:
 * - {@link h3Session} returns `onRequest` / `onBeforeResponse` hooks for `createApp({ ... })` (every
 *   route) or `defineEventHandler({ onRequest, onBeforeResponse, handler })` (one route). The session is
 *   on `event.context.session`; the commit runs in `onBeforeResponse`, so a store failure there goes to
 *   h3's error path (`onError`, then a 500) as an H3Error whose `cause` is the `SessionError`.
 * - {@link useHttpSession} opens the session in a handler, like h3's own `useSession`.
 *
 * Either way, handlers that send the response themselves (`sendRedirect`, `sendStream`, `sendNoContent`,
 * `event.node.res.end`) are covered too: the node response's `end` waits for the commit, and a head
 * flushed earlier (a first `write`) commits synchronously (`commitSync()`, cookie storage; with
 * server-side storage a change not committed by then is not saved, and the manager's logger says so).
 * A commit that fails there is logged and the response goes out without the session cookie (nothing was
 * saved): h3's error path has already been left. Headers the session wrote before an error (a
 * `regenerate()` in a handler that then throws) stay on h3's error response.
 *
 * @module
 */
import { createError, type H3Event } from 'h3';
import { isSessionError } from '../errors.ts';
import { nodeExchange } from '../http/node.ts';
import type { SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';
import type { Session } from '../session.ts';
import { managerOf } from './manager.ts';

declare module 'h3' {
  interface H3EventContext {
    /** The request's session, once {@link h3Session}'s `onRequest` or {@link useHttpSession} opened it. */
    session?: Session;
  }
}

/** The hooks {@link h3Session} returns, for `createApp()` or `defineEventHandler()`. */
export interface H3SessionHooks {
  /** Opens the event's session (`event.context.session`). */
  onRequest(event: H3Event): Promise<void>;
  /** Commits it: saved when changed, touched when due; a failure rejects into h3's error path. */
  onBeforeResponse(event: H3Event): Promise<void>;
}

/** `res.end` and `res.writeHead` as the hold calls them. */
type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * One event's session and its commit: at most once, by the hook, by the held `end` or (synchronously) as
 * the head is written, whichever comes first.
 */
class Commit {
  readonly session: Session;
  /** `'open'` until a commit starts. */
  state: 'open' | 'committing' | 'done' = 'open';
  readonly #logger: { warn(message: string): void };

  constructor(session: Session, logger: { warn(message: string): void }) {
    this.session = session;
    this.#logger = logger;
  }

  /** The hook's commit: errors reach h3. */
  async now(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'committing';
    try {
      await this.session.commit();
    } catch (error) {
      this.session.close(); // the error response ends through the hold: nothing more to commit
      throw h3Error(error);
    } finally {
      this.state = 'done';
    }
  }

  /** The head is being written: commit what can be committed synchronously. */
  sync(): void {
    if (this.state !== 'open') return;
    this.state = 'done';
    const session = this.session;
    try {
      if (session.canSaveSync) session.commitSync();
      else if (session.state !== 'closed' && session.isModified) {
        this.#logger.warn('httpsession/h3: headers were sent before the changed session could be saved to its store; call `await session.commit()` before streaming');
      }
    } catch (error) {
      this.#warn(error);
    }
  }

  /**
   * Holds `res.end` until the commit finished (the event counts as handled meanwhile, so h3 does not go
   * on to the next handler); commits synchronously in `res.writeHead`.
   */
  hold(event: H3Event): void {
    const res = event.node.res;
    const end = res.end as Method;
    const writeHead = res.writeHead as Method;
    const self = this;
    res.end = function (this: unknown, ...args: unknown[]) {
      if (self.state === 'committing') return this; // ended while the hook commits: the hook's caller ends
      if (self.state === 'done' || res.headersSent) {
        self.state = 'done';
        return end.apply(this, args);
      }
      self.state = 'committing';
      event._handled = true;
      self.session.commit().then(
        () => void 0,
        (error: unknown) => self.#warn(error),
      ).finally(() => {
        self.state = 'done';
        end.apply(this, args);
      });
      return this;
    } as typeof res.end;
    res.writeHead = function (this: unknown, ...args: unknown[]) {
      self.sync();
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
  }

  #warn(error: unknown): void {
    const code = isSessionError(error) ? error.code : 'an error';
    this.#logger.warn(`httpsession/h3: the session could not be committed before the response was sent (${code})`);
  }
}

/** Each event's commit, once its session is opened. */
const commits = new WeakMap<H3Event, Promise<Commit>>();

/**
 * The error h3 sees: h3 wraps what it catches in an H3Error whose `cause` is the caught error's own
 * `cause` (here the store's error); wrapped here, `cause` is the `SessionError` itself.
 */
function h3Error(error: unknown): unknown {
  return isSessionError(error) ? createError({ statusCode: 500, message: error.message, cause: error }) : error;
}

async function openCommit(event: H3Event, manager: SessionManager): Promise<Commit> {
  const { req, res } = event.node;
  let session: Session;
  try {
    session = await manager.start(nodeExchange(req, res, { trustProxy: manager.options.trustProxy }));
  } catch (error) {
    throw h3Error(error);
  }
  const commit = new Commit(session, manager.options.logger);
  commit.hold(event);
  event.context.session = session;
  return commit;
}

function commitOf(event: H3Event, manager: SessionManager): Promise<Commit> {
  let commit = commits.get(event);
  if (commit === undefined) {
    commit = openCommit(event, manager);
    commits.set(event, commit);
    commit.catch(() => commits.delete(event)); // a failed open is retried by the next call
  }
  return commit;
}

/**
 * The event's session: opened on the first call for a request (later calls return the same one), and
 * committed automatically before the response's headers go out.
 * @param event - the h3 event
 * @param sessions - the manager (create it once, with `createSessionManager`)
 * @returns the session
 * @throws an H3Error (500) whose `cause` is the SessionError (`'STORAGE_ERROR'`: a store cannot be read)
 * @example
 * const sessions = createSessionManager<{ visits: number }>({ secret: process.env.SESSION_SECRET });
 * app.use('/', defineEventHandler(async (event) => {
 *   const session = await useHttpSession(event, sessions);
 *   session.set('visits', (session.get('visits') ?? 0) + 1); // committed before the response, no save()
 *   return `visit ${session.get('visits')}`;
 * }));
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export async function useHttpSession<Data extends Record<string, unknown> = Record<string, any>>(event: H3Event, sessions: SessionManager<Data>): Promise<Session<Data>> {
  return (await commitOf(event, sessions as unknown as SessionManager)).session as unknown as Session<Data>;
}

/**
 * Hooks that open every request's session and commit it in `onBeforeResponse`, where a store failure
 * goes to h3's error path.
 * @param sessions - a manager from `createSessionManager`, or the options to create one
 * @returns `{ onRequest, onBeforeResponse }`
 * @throws TypeError or RangeError naming the first invalid option
 * @example
 * const app = createApp({ ...h3Session({ secret: process.env.SESSION_SECRET }), onError: report });
 * app.use('/', defineEventHandler((event) => {
 *   const session = event.context.session!;
 *   session.set('visits', (session.get('visits') ?? 0) + 1);
 *   return `visit ${session.get('visits')}`;
 * }));
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function h3Session<Data extends Record<string, unknown> = Record<string, any>>(sessions: SessionManager<Data> | SessionOptions): H3SessionHooks {
  const manager = managerOf<Data>(sessions) as unknown as SessionManager;
  return {
    async onRequest(event) {
      await commitOf(event, manager);
    },
    async onBeforeResponse(event) {
      await (await commits.get(event))?.now();
    },
  };
}
