/**
 * The shared suite's app (test/helpers/adapter-suite.ts, ADAPTER_ROUTES) in h3 1.x's idiom, on
 * `node:http` through `toNodeListener`.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { createApp, createRouter, defineEventHandler, sendRedirect, toNodeListener, type App, type H3Event } from 'h3';
import { h3Session } from '../../../src/adapters/h3.ts';
import type { SessionManager } from '../../../src/manager.ts';
import type { Session } from '../../../src/session.ts';
import { runningServer, type RunningApp } from '../adapter-suite.ts';

const sessionOf = (event: H3Event): Session => event.context.session!;

/** The suite's routes on an h3 router. */
export function routes(): ReturnType<typeof createRouter> {
  return createRouter()
    .get('/count', defineEventHandler((event) => {
      const session = sessionOf(event);
      const n = ((session.get('n') as number | undefined) ?? 0) + 1;
      session.set('n', n);
      return String(n);
    }))
    .get('/peek', defineEventHandler((event) => JSON.stringify(sessionOf(event).getData())))
    .post('/login', defineEventHandler(async (event) => {
      const session = sessionOf(event);
      session.setSubject('alice').set('user', 'alice');
      await session.regenerate();
      return session.id;
    }))
    .post('/logout', defineEventHandler(async (event) => {
      await sessionOf(event).logout();
      return 'bye';
    }))
    .get('/stream', defineEventHandler((event) => {
      sessionOf(event).set('streamed', true);
      return Readable.from(['a', 'b', 'c']);
    }))
    .get('/redirect', defineEventHandler((event) => {
      sessionOf(event).set('redirected', true);
      return sendRedirect(event, '/peek', 302);
    }))
    .get('/regenerate-then-fail', defineEventHandler(async (event) => {
      await sessionOf(event).regenerate();
      throw new Error('boom');
    }));
}

/** Serves an h3 app on 127.0.0.1 and a free port. */
export async function serveH3(app: App, errors: unknown[]): Promise<RunningApp> {
  const server = http.createServer(toNodeListener(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return runningServer(server, errors);
}

/**
 * Starts an h3 app with the hooks over `sessions`, the suite's routes and an `onError` that records the
 * error h3 wrapped (its `cause`).
 */
export async function startH3(sessions: SessionManager, extra?: (router: ReturnType<typeof createRouter>) => void): Promise<RunningApp> {
  const errors: unknown[] = [];
  const app = createApp({ ...h3Session(sessions), onError: (error) => void errors.push(error.cause ?? error) });
  const router = routes();
  extra?.(router);
  app.use(router);
  return serveH3(app, errors);
}
