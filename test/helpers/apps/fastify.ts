/**
 * The shared suite's app (test/helpers/adapter-suite.ts, ADAPTER_ROUTES) in Fastify 5's idiom.
 */
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifySession } from '../../../src/adapters/fastify.ts';
import type { SessionManager } from '../../../src/manager.ts';
import { runningServer, type RunningApp } from '../adapter-suite.ts';

// The attributes the suite's routes use (merged with those examples/fastify.ts declares: one program).
declare module 'httpsession/fastify' {
  interface SessionData {
    n: number;
    streamed: boolean;
    redirected: boolean;
    child: boolean;
  }
}

/** The suite's routes in Fastify's idiom. */
export function routes(app: FastifyInstance): void {
  app.get('/count', async (request) => {
    const n = (request.session.get('n') ?? 0) + 1;
    request.session.set('n', n);
    return String(n);
  });
  app.get('/peek', async (request) => JSON.stringify(request.session.getData()));
  app.post('/login', async (request) => {
    request.session.setSubject('alice').set('user', 'alice');
    await request.session.regenerate();
    return request.session.id;
  });
  app.post('/logout', async (request) => {
    await request.session.logout();
    return 'bye';
  });
  app.get('/stream', async (request, reply) => {
    request.session.set('streamed', true);
    return reply.type('text/plain').send(Readable.from(['a', 'b', 'c']));
  });
  app.get('/redirect', async (request, reply) => {
    request.session.set('redirected', true);
    return reply.redirect('/peek');
  });
  app.get('/regenerate-then-fail', async (request) => {
    await request.session.regenerate();
    throw new Error('boom');
  });
}

/** Starts a Fastify app with the plugin over `sessions` and the suite's routes. */
export async function startFastify(sessions: SessionManager, extra?: (app: FastifyInstance) => void): Promise<RunningApp & { app: FastifyInstance }> {
  const app = Fastify({ logger: false });
  const errors: unknown[] = [];
  app.addHook('onError', async (_request, _reply, error) => void errors.push(error));
  await app.register(fastifySession, { sessions });
  routes(app);
  extra?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { ...runningServer(app.server, errors), app, close: () => app.close() };
}

