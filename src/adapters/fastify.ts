/**
 * Fastify 5 adapter: a plugin (through fastify-plugin, so it applies to the whole application) that puts
 * the request's session on `request.session` and commits it in `onSend`, before the headers go out.
 *
 * - `onRequest`: `sessions.start()` over the request and the reply (a touch when due); a store outage
 *   here is a `SessionError` for Fastify's error handler.
 * - `onSend` (runs for every payload: strings, buffers, streams, redirects, error replies):
 *   `session.commit()` (`commitSync()` when the storage allows it: cookie storage): a changed session is
 *   saved, an unchanged one touched only when the touch threshold says so. A failing commit closes the session (the error reply's own `onSend` then commits
 *   nothing) and goes to Fastify's error handler as the `SessionError`.
 * - Set-Cookie goes through the reply's own headers (`reply.header` appends Set-Cookie), so it coexists
 *   with `@fastify/cookie` and any other plugin in either registration order. After `reply.hijack()`
 *   Fastify runs no `onSend`: call `await request.session.commit()` yourself before writing the head;
 *   the lines then go straight onto `reply.raw`.
 *
 * @module
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { nodeExchange, type NodeResponse } from '../http/node.ts';
import type { SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';
import { managerOf } from './manager.ts';
import type { SessionOf } from './types.ts';

/**
 * The attributes of `request.session`. Empty by default (any attribute is allowed, typed `any`); declare
 * yours by augmenting it, and `request.session.get('views')` is then typed `number | undefined`.
 * @example
 * declare module 'httpsession/fastify' {
 *   interface SessionData { views: number; userId: string }
 * }
 */
// biome-ignore lint: an interface users augment
export interface SessionData {}

/** The type of `request.session`: a `Session` over {@link SessionData}, or over any attributes while it is empty. */
export type FastifySession = SessionOf<SessionData>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, opened by the httpsession plugin; committed automatically in `onSend`. */
    session: FastifySession;
  }
}

/**
 * Options of {@link fastifySession}: `{ sessions }`, a manager made with `createSessionManager` (to share it
 * with other code), or the options to create one (`{ secret, ... }`).
 */
// biome-ignore lint: a manager of any data type: `request.session` is typed by SessionData
export type FastifySessionOptions = { sessions: SessionManager<any> } | SessionOptions;

/**
 * The reply as the `node:http` transport writes it: headers go into Fastify's own header map until the
 * reply is hijacked, then onto the raw response.
 */
class ReplyHeaders implements NodeResponse {
  readonly #reply: FastifyReply;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  get headersSent(): boolean {
    return this.#reply.raw.headersSent;
  }

  getHeader(name: string): number | string | string[] | undefined {
    const reply = this.#reply;
    return reply.sent ? reply.raw.getHeader(name) : reply.getHeader(name);
  }

  setHeader(name: string, value: number | string | readonly string[]): unknown {
    const reply = this.#reply;
    if (reply.sent) return reply.raw.setHeader(name, value);
    // `reply.header` appends to a Set-Cookie already there: remove it first, and only then (a `delete`
    // on Fastify's header object slows every later access to it). The transport hands over a new array
    // each time, so it is not copied.
    if (reply.hasHeader(name)) reply.removeHeader(name);
    return reply.header(name, value);
  }
}

/**
 * The hooks are callback-style, not `async`: Fastify then calls them without wrapping a promise of theirs,
 * and a session that can be committed synchronously (cookie storage: `canSaveSync`) is committed in
 * `onSend` with `commitSync()`, without a promise at all. Same outcome as `await session.commit()`.
 */
const plugin: FastifyPluginAsync<FastifySessionOptions> = async (app, options) => {
  const sessions = managerOf('sessions' in options ? options.sessions : options);
  const exchangeOptions = { trustProxy: sessions.options.trustProxy };
  app.decorateRequest('session');
  app.addHook('onRequest', (request, reply, done) => {
    sessions.start(nodeExchange(request.raw, new ReplyHeaders(reply), exchangeOptions)).then((session) => {
      // The manager's data type is the application's; `request.session` is typed by SessionData.
      request.session = session as FastifySession;
      done();
    }, done);
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    const session = request.session as FastifySession | undefined | null;
    if (session === undefined || session === null) return done(null, payload);
    if (session.canSaveSync) {
      try {
        session.commitSync();
      } catch (error) {
        session.close(); // the error reply passes through onSend again: nothing more to commit
        return done(error as Error);
      }
      return done(null, payload);
    }
    session.commit().then(
      () => done(null, payload),
      (error: unknown) => {
        session.close();
        done(error as Error);
      },
    );
  });
};

/**
 * The httpsession plugin for Fastify 5. Register it once, on the root instance (fastify-plugin lifts its
 * hooks out of the plugin's scope, so every route sees `request.session`).
 * Its options ({@link FastifySessionOptions}): `{ sessions }` or the options of `createSessionManager`.
 * A configuration mistake fails the registration (`register`, `ready()`, `listen()`) with a TypeError or
 * RangeError naming the option.
 * @example
 * import Fastify from 'fastify';
 * import { fastifySession } from 'httpsession/fastify';
 * const app = Fastify();
 * await app.register(fastifySession, { secret: process.env.SESSION_SECRET });
 * app.get('/', async (request) => {
 *   const visits = (request.session.get('visits') ?? 0) + 1;
 *   request.session.set('visits', visits); // saved in onSend, no call needed
 *   return `visit ${visits}`;
 * });
 */
export const fastifySession = fp<FastifySessionOptions>(plugin, {
  name: 'httpsession',
  fastify: '5.x',
});
