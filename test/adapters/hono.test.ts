/**
 * The Hono 4 adapter with the real framework (on @hono/node-server) over real HTTP: the shared adapter
 * suite, then what is Hono's own (immutable responses, raw Response objects, the chained typing, options
 * instead of a manager) and a Fastify app sharing the manager.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { honoSession, type SessionEnv } from '../../src/adapters/hono.ts';
import { isSessionError } from '../../src/errors.ts';
import { adapterSuite, Browser, exampleSuite, sharedManagerSuite, SUITE_COOKIE, suiteManager } from '../helpers/adapter-suite.ts';
import { startFastify } from '../helpers/apps/fastify.ts';
import { serveHono, startHono, type SuiteData } from '../helpers/apps/hono.ts';
import { LONG_SECRET } from '../helpers/http.ts';

adapterSuite('Hono 4', (sessions) => startHono(sessions));

describe('Hono 4 adapter: what is particular to Hono', () => {
  sharedManagerSuite(['Hono', 'Fastify'], [startHono, startFastify]);

  it('an immutable Response.redirect() and a raw new Response() still get the cookie', async () => {
    const running = await startHono(suiteManager(), (app) => {
      app.get('/raw-redirect', (c) => {
        c.var.session.set('redirected', true);
        return Response.redirect(new URL('/peek', c.req.url), 303);
      });
      app.get('/raw', (c) => {
        c.var.session.set('n', 5);
        return new Response('raw', { headers: { 'set-cookie': 'theme=dark; Path=/' } });
      });
    });
    try {
      const b = new Browser(running.base);
      const redirect = await b.get('/raw-redirect');
      assert.equal(redirect.status, 303);
      assert.ok(redirect.setCookies.some((l) => l.startsWith(`${SUITE_COOKIE}=`)), 'cookie on the immutable redirect');
      assert.match(redirect.headers.get('location') ?? '', /\/peek$/);
      const raw = await b.get('/raw');
      assert.equal(raw.body, 'raw');
      assert.ok(raw.setCookies.includes('theme=dark; Path=/'), 'the handler\'s own cookie is kept');
      assert.ok(raw.setCookies.some((l) => l.startsWith(`${SUITE_COOKIE}=`)));
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { redirected: true, n: 5 });
    } finally {
      await running.close();
    }
  });

  it('takes the options of createSessionManager; chained routes infer the session type', async () => {
    const app = new Hono()
      .use(honoSession<{ visits: number }>({ secret: LONG_SECRET, cookie: { name: 'sid', secure: false } }))
      .get('/', (c) => {
        const session = c.get('session');
        // @ts-expect-error an attribute the data type does not declare
        session.get('nope');
        const visits = (session.get('visits') ?? 0) + 1;
        session.set('visits', visits);
        return c.text(String(visits));
      });
    const running = await serveHono(app as never, []);
    try {
      const b = new Browser(running.base);
      assert.equal((await b.get('/')).body, '1');
      assert.ok(b.jar.get('sid'));
      assert.equal((await b.get('/')).body, '2');
    } finally {
      await running.close();
    }
  });

  it('a configuration mistake throws when the middleware is created, naming the option', () => {
    assert.throws(() => honoSession({ secret: LONG_SECRET, idlingTimeout: -1 }), (error: unknown) => error instanceof RangeError && /"idlingTimeout"/.test(error.message));
  });

  it('in-process app.request() works too (no server): a failed commit reaches onError typed', async () => {
    const app = new Hono<SessionEnv<SuiteData>>();
    const seen: unknown[] = [];
    app.onError((error, c) => {
      seen.push(error);
      return c.text(isSessionError(error, 'SESSION_TOO_LARGE') ? 'too large' : 'other', 500);
    });
    app.use(honoSession(suiteManager() as never));
    app.get('/huge', (c) => {
      c.var.session.set('user', randomBytes(48 * 1024).toString('base64')); // incompressible: over 9 cookies
      return c.text('never sent');
    });
    const response = await app.request('/huge');
    assert.equal(response.status, 500);
    assert.equal(await response.text(), 'too large');
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  exampleSuite('examples/hono.ts');
});
