/**
 * The shared suite's app (test/helpers/adapter-suite.ts, ADAPTER_ROUTES) in Hono 4's idiom, served by
 * @hono/node-server.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { honoSession, type SessionEnv } from '../../../src/adapters/hono.ts';
import type { SessionManager } from '../../../src/manager.ts';
import { runningServer, type RunningApp } from '../adapter-suite.ts';

/** The attributes the suite's routes use. */
export type SuiteData = { n: number; user: string; streamed: boolean; redirected: boolean; child: boolean };

/** The suite's routes on a Hono app whose environment carries the session. */
export function routes(app: Hono<SessionEnv<SuiteData>>): Hono<SessionEnv<SuiteData>> {
  return app
    .get('/count', (c) => {
      const session = c.get('session');
      const n = (session.get('n') ?? 0) + 1;
      session.set('n', n);
      return c.text(String(n));
    })
    .get('/peek', (c) => c.text(JSON.stringify(c.var.session.getData())))
    .post('/login', async (c) => {
      const session = c.var.session;
      session.setSubject('alice').set('user', 'alice');
      await session.regenerate();
      return c.text(session.id);
    })
    .post('/logout', async (c) => {
      await c.var.session.logout();
      return c.text('bye');
    })
    .get('/stream', (c) => {
      c.var.session.set('streamed', true);
      return stream(c, async (s) => {
        for (const chunk of ['a', 'b', 'c']) await s.write(chunk);
      });
    })
    .get('/redirect', (c) => {
      c.var.session.set('redirected', true);
      return c.redirect('/peek');
    })
    .get('/regenerate-then-fail', async (c) => {
      await c.var.session.regenerate();
      throw new Error('boom');
    });
}

/**
 * Serves a Hono app over @hono/node-server on 127.0.0.1 and a free port.
 * @param app - the app
 * @param errors - what its `onError` recorded
 */
export async function serveHono(app: Hono<SessionEnv<SuiteData>>, errors: unknown[]): Promise<RunningApp> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return runningServer(server as Server, errors);
}

/** Starts a Hono app with the middleware over `sessions`, the suite's routes and an `onError` that records. */
export async function startHono(sessions: SessionManager, extra?: (app: Hono<SessionEnv<SuiteData>>) => void): Promise<RunningApp> {
  const errors: unknown[] = [];
  const app = new Hono<SessionEnv<SuiteData>>();
  app.onError((error, c) => {
    errors.push(error);
    return c.text('Internal Server Error', 500);
  });
  app.use(honoSession(sessions as unknown as SessionManager<SuiteData>));
  routes(app);
  extra?.(app);
  return serveHono(app, errors);
}
