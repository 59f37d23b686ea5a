// httpsession/koa in the real Koa 3, over real HTTP on 127.0.0.1: the shared adapter scenarios
// (scenarios.ts), what is particular to Koa, and an Express app and a Koa app sharing one manager.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import express from 'express';
import Koa, { type Context } from 'koa';
import { expressSession } from '../../src/adapters/express.ts';
import { koaSession } from '../../src/adapters/koa.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { Client, serve } from '../helpers/adapters.ts';
import { LONG_SECRET } from '../helpers/http.ts';
import { adapterScenarios, httpCookie } from './scenarios.ts';

const count = (ctx: Context): number => {
  const visits = (ctx.session.get('visits') ?? 0) + 1;
  ctx.session.set('visits', visits);
  return visits;
};

/** The scenario routes (scenarios.ts) in Koa's idiom: one middleware per route, matched by method and path. */
const routes: Record<string, (ctx: Context) => Promise<void> | void> = {
  'GET /count': (ctx) => void (ctx.body = String(count(ctx))),
  'GET /peek': (ctx) => void (ctx.body = String(ctx.session.get('visits') ?? 0)),
  'POST /login': async (ctx) => {
    ctx.session.setSubject('alice').set('user', 'alice');
    await ctx.session.regenerate();
    ctx.body = 'ok';
  },
  'GET /whoami': (ctx) => void (ctx.body = ctx.session.get('user') ?? 'anonymous'),
  'POST /logout': async (ctx) => {
    await ctx.session.logout();
    ctx.body = 'bye';
  },
  'GET /stream': (ctx) => {
    count(ctx);
    ctx.type = 'text/plain';
    ctx.body = Readable.from(['a', 'b', 'c']);
  },
  'GET /stream-committed': async (ctx) => {
    count(ctx);
    await ctx.session.commit();
    ctx.type = 'text/plain';
    ctx.body = Readable.from(['a', 'b', 'c']);
  },
  'GET /redirect': (ctx) => {
    count(ctx);
    ctx.redirect('/peek');
  },
};

function scenarioApp(sessions: SessionManager): Koa {
  const app = new Koa();
  app.silent = true; // no error stacks on stderr
  app.use(koaSession(sessions));
  app.use(async (ctx) => {
    const handler = routes[`${ctx.method} ${ctx.path}`];
    if (handler === undefined) ctx.status = 404;
    else await handler(ctx);
  });
  return app;
}

adapterScenarios({ name: 'Koa 3', app: (sessions) => scenarioApp(sessions).callback(), streamsServerSide: true });

describe('httpsession/koa', () => {
  const sessions = createSessionManager({ secret: LONG_SECRET, cookie: httpCookie });

  it('takes options instead of a manager, and checks them at once', () => {
    assert.equal(typeof koaSession({ secret: LONG_SECRET }), 'function');
    assert.throws(() => koaSession({ secret: LONG_SECRET, idlingTimeout: -1 } as never), RangeError);
    assert.throws(() => koaSession(sessions, { autoCommit: 1 as never }), /autoCommit/);
  });

  it("keeps the cookies of a regenerate() through a thrown error (Koa's onerror strips headers)", async () => {
    const app = new Koa();
    app.silent = true;
    app.use(koaSession(sessions));
    app.use(async (ctx) => {
      if (ctx.path === '/count') {
        ctx.body = String(count(ctx));
        return;
      }
      await ctx.session.regenerate();
      ctx.session.set('user', 'not saved: the request failed');
      ctx.throw(403, 'forbidden', { headers: { 'x-reason': 'test' } });
    });
    const served = await serve(app.callback());
    try {
      const c = new Client(served.base);
      await c.get('/count');
      const before = c.jar.get('session');
      const res = await c.get('/fail');
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('x-reason'), 'test', "the error's own headers stay");
      assert.ok(res.setCookies.some((l) => l.startsWith('session=')), 'the regenerated cookie survives onerror');
      assert.notEqual(c.jar.get('session'), before);
      assert.equal((await c.get('/count')).body, '2', 'the regenerated session holds the data');
    } finally {
      await served.close();
    }
  });

  it('autoCommit: false leaves saving to the handler; mounted twice, one session', async () => {
    const app = new Koa();
    app.use(koaSession(sessions, { autoCommit: false }));
    app.use(koaSession(sessions));
    app.use((ctx) => {
      ctx.session.set('visits', 1);
      ctx.body = 'not saved';
    });
    const served = await serve(app.callback());
    try {
      assert.deepEqual((await new Client(served.base).get('/')).setCookies, []);
    } finally {
      await served.close();
    }
  });
});

describe('an Express app and a Koa app sharing one manager and secret', () => {
  for (const storage of ['cookie', 'memory'] as const) {
    it(`read and change each other's sessions (${storage} storage)`, async () => {
      const sessions = createSessionManager({ secret: LONG_SECRET, cookie: httpCookie, ...(storage === 'memory' ? { storage: memoryStorage() } : {}) });
      const koa = new Koa();
      koa.use(koaSession(sessions));
      koa.use((ctx) => void (ctx.body = `koa ${count(ctx)}`));
      const exp = express();
      exp.use(expressSession(sessions));
      exp.get('/', (req, res) => {
        const visits = (req.session.get('visits') ?? 0) + 1;
        req.session.set('visits', visits);
        res.send(`express ${visits}`);
      });
      const [k, e] = await Promise.all([serve(koa.callback()), serve(exp)]);
      try {
        const c = new Client(e.base);
        assert.equal((await c.get('/', e.base)).body, 'express 1');
        assert.equal((await c.get('/', k.base)).body, 'koa 2');
        assert.equal((await c.get('/', e.base)).body, 'express 3');
        assert.equal((await c.get('/', k.base)).body, 'koa 4');
      } finally {
        await Promise.all([k.close(), e.close()]);
      }
    });
  }
});
