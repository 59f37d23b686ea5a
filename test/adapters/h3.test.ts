/**
 * The h3 1.x adapter with the real framework over real HTTP (`toNodeListener` on node:http): the shared
 * adapter suite through the app hooks, then what is h3's own (useHttpSession without hooks, per-route
 * hooks, handlers that write the response themselves, the wrapped error) and a Hono app sharing the manager.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp, createRouter, defineEventHandler, sendRedirect, sendStream, type H3Event } from 'h3';
import { h3Session, useHttpSession } from '../../src/adapters/h3.ts';
import { createSessionManager } from '../../src/manager.ts';
import { adapterSuite, Browser, exampleSuite, sharedManagerSuite, SUITE_COOKIE, suiteManager } from '../helpers/adapter-suite.ts';
import { serveH3, startH3 } from '../helpers/apps/h3.ts';
import { startHono } from '../helpers/apps/hono.ts';
import { LONG_SECRET } from '../helpers/http.ts';

adapterSuite('h3 1.x', (sessions) => startH3(sessions));

describe('h3 1.x adapter: what is particular to h3', () => {
  sharedManagerSuite(['h3', 'Hono'], [startH3, startHono]);

  it('useHttpSession() without hooks: typed by the manager, one session per request, committed before end', async () => {
    const sessions = createSessionManager<{ visits: number }>({ secret: LONG_SECRET });
    const app = createApp();
    app.use('/', defineEventHandler(async (event: H3Event) => {
      const session = await useHttpSession(event, sessions);
      assert.equal(await useHttpSession(event, sessions), session, 'the same session for the request');
      // @ts-expect-error an attribute the manager's data type does not declare
      session.get('nope');
      const visits = (session.get('visits') ?? 0) + 1;
      session.set('visits', visits);
      if (event.path.startsWith('/go')) return sendRedirect(event, '/', 303); // sends by itself: the held end commits
      return String(visits);
    }));
    const running = await serveH3(app, []);
    try {
      const b = new Browser(running.base);
      assert.equal((await b.get('/')).body, '1');
      const go = await b.get('/go');
      assert.equal(go.status, 303);
      assert.ok(go.setCookies.some((l) => l.startsWith(`${SUITE_COOKIE}=`)), 'the redirect carries the cookie');
      assert.equal((await b.get('/')).body, '3');
      assert.deepEqual((await b.get('/')).setCookies.length, 1);
    } finally {
      await running.close();
    }
  });

  it('per-route hooks with defineEventHandler({ onRequest, onBeforeResponse, handler })', async () => {
    const hooks = h3Session(suiteManager());
    const app = createApp();
    app.use('/', defineEventHandler({
      ...hooks,
      handler: (event) => {
        const session = event.context.session!;
        session.set('n', ((session.get('n') as number | undefined) ?? 0) + 1);
        return String(session.get('n'));
      },
    }));
    const running = await serveH3(app, []);
    try {
      const b = new Browser(running.base);
      assert.equal((await b.get('/')).body, '1');
      assert.equal((await b.get('/')).body, '2');
    } finally {
      await running.close();
    }
  });

  it('a stream written by the handler itself (sendStream) gets the cookie with cookie storage (commitSync at the head)', async () => {
    const running = await startH3(suiteManager(), (router) => {
      router.get('/own-stream', defineEventHandler((event) => {
        event.context.session!.set('streamed', true);
        return sendStream(event, new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('xyz')); c.close(); } }));
      }));
    });
    try {
      const b = new Browser(running.base);
      const seen = await b.get('/own-stream');
      assert.equal(seen.body, 'xyz');
      assert.ok(seen.setCookies.some((l) => l.startsWith(`${SUITE_COOKIE}=`)));
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { streamed: true });
    } finally {
      await running.close();
    }
  });

  it('a configuration mistake throws when the hooks are created, naming the option', () => {
    assert.throws(() => h3Session({ secret: LONG_SECRET, idlingTimeout: -1 }), (error: unknown) => error instanceof RangeError && /"idlingTimeout"/.test(error.message));
  });

  exampleSuite('examples/h3.ts');
});
