// httpsession/express in the real Express 5 and Express 4 (npm alias `express4`), over real HTTP on
// 127.0.0.1: the shared adapter scenarios (scenarios.ts), then what is particular to Express.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express from 'express';
import express4 from 'express4';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { expressSession } from '../../src/adapters/express.ts';
import { createClient } from 'redis';
import { isSessionError } from '../../src/errors.ts';
import type { Session } from '../../src/session.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { Client, serve } from '../helpers/adapters.ts';
import { LONG_SECRET } from '../helpers/http.ts';
import { freePort } from '../helpers/redis.ts';
import { adapterScenarios, httpCookie } from './scenarios.ts';

type Framework = typeof express;

/** An async route handler that works in Express 4 too (which ignores returned promises). */
const route = (fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler => (req, res, next) => {
  Promise.resolve()
    .then(() => fn(req, res))
    .catch(next);
};

/** Writes a, b, c in three chunks, a turn of the event loop apart. */
function streamBody(res: Response): void {
  res.type('text/plain');
  res.write('a');
  setImmediate(() => {
    res.write('b');
    setImmediate(() => res.end('c'));
  });
}

/** The scenario routes (scenarios.ts) in Express's idiom. */
function scenarioApp(framework: Framework, sessions: SessionManager) {
  const app = framework();
  app.set('env', 'test'); // finalhandler: no error stacks on stderr
  app.use(expressSession(sessions));
  const count = (req: Request): number => {
    const visits = (req.session.get('visits') ?? 0) + 1;
    req.session.set('visits', visits);
    return visits;
  };
  app.get('/count', (req, res) => void res.send(String(count(req))));
  app.get('/peek', (req, res) => void res.send(String(req.session.get('visits') ?? 0)));
  app.post('/login', route(async (req, res) => {
    req.session.setSubject('alice').set('user', 'alice');
    await req.session.regenerate();
    res.send('ok');
  }));
  app.get('/whoami', (req, res) => void res.send(req.session.get('user') ?? 'anonymous'));
  app.post('/logout', route(async (req, res) => {
    await req.session.logout();
    res.send('bye');
  }));
  app.get('/stream', (req, res) => {
    count(req);
    streamBody(res);
  });
  app.get('/stream-committed', route(async (req, res) => {
    count(req);
    await req.session.commit();
    streamBody(res);
  }));
  app.get('/redirect', (req, res) => {
    count(req);
    res.redirect('/peek');
  });
  return app;
}

adapterScenarios({ name: 'Express 5', app: (sessions) => scenarioApp(express, sessions), streamsServerSide: false });
adapterScenarios({ name: 'Express 4', app: (sessions) => scenarioApp(express4, sessions), streamsServerSide: false });

describe('httpsession/express', () => {
  const sessions = createSessionManager({ secret: LONG_SECRET, cookie: httpCookie });

  it('takes options instead of a manager, and checks them at once', () => {
    assert.equal(typeof expressSession({ secret: LONG_SECRET }), 'function');
    assert.throws(() => expressSession({ secret: LONG_SECRET, idlingTimeout: -1 } as never), RangeError);
    assert.throws(() => expressSession(sessions, { autoCommit: 'yes' as never }), /autoCommit/);
    assert.throws(() => expressSession(null as never), TypeError);
  });

  it('a custom error handler receives the typed SessionError', async () => {
    // A real node-redis client pointed at a port nothing listens on, never connected: every command fails.
    const unreachable = createClient({ url: `redis://127.0.0.1:${await freePort()}`, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
    const failing = createSessionManager({ secret: LONG_SECRET, cookie: httpCookie, storage: redisStorage({ client: unreachable }) });
    const app = express();
    app.use(expressSession(failing));
    app.get('/', (req, res) => {
      req.session.set('visits', 1);
      res.send('unreachable');
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(503).send(isSessionError(err, 'STORAGE_ERROR') ? `storage: ${err.storage}` : 'other');
    });
    const served = await serve(app);
    try {
      const res = await new Client(served.base).get('/');
      assert.equal(res.status, 503);
      assert.equal(res.body, 'storage: redis');
    } finally {
      await served.close();
    }
  });

  it('autoCommit: false leaves saving to the handler', async () => {
    const app = express();
    app.use(expressSession(sessions, { autoCommit: false }));
    app.get('/lazy', (req, res) => {
      req.session.set('visits', 1);
      res.send('not saved');
    });
    app.get('/saved', route(async (req, res) => {
      req.session.set('visits', 1);
      await req.session.save();
      res.send('saved');
    }));
    const served = await serve(app);
    try {
      const c = new Client(served.base);
      assert.deepEqual((await c.get('/lazy')).setCookies, []);
      assert.equal((await c.get('/saved')).setCookies.length, 1);
    } finally {
      await served.close();
    }
  });

  it('mounted twice (app and router), one session per request', async () => {
    const app = express();
    const router = express.Router();
    app.use(expressSession(sessions));
    router.use(expressSession(sessions));
    let seen: unknown;
    app.use((req, _res, next) => {
      seen = req.session;
      next();
    });
    router.get('/count', (req, res) => {
      assert.equal(req.session, seen);
      req.session.set('visits', (req.session.get('visits') ?? 0) + 1);
      res.send(String(req.session.get('visits')));
    });
    app.use(router);
    const served = await serve(app);
    try {
      const c = new Client(served.base);
      const first = await c.get('/count');
      assert.equal(first.body, '1');
      assert.equal(first.setCookies.filter((l) => l.startsWith('session=')).length, 1);
      assert.equal((await c.get('/count')).body, '2');
    } finally {
      await served.close();
    }
  });

  it("on a plain node:http server (Connect's shape: no re-parented req/res), commits as in Express", async () => {
    const mw = expressSession(createSessionManager({ secret: LONG_SECRET, cookie: httpCookie, storage: memoryStorage() }));
    const served = await serve((req, res) =>
      mw(req, res, (err) => {
        if (err !== undefined) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const session = (req as typeof req & { session: Session }).session;
        const visits = (session.get('visits') ?? 0) + 1;
        session.set('visits', visits);
        res.end(String(visits));
      }),
    );
    try {
      const c = new Client(served.base);
      assert.equal((await c.get('/')).body, '1');
      const second = await c.get('/');
      assert.equal(second.body, '2');
      assert.ok(second.setCookies.some((l) => l.startsWith('session=')));
    } finally {
      await served.close();
    }
  });

  it('res.writeHead + res.end, res.json, res.sendStatus and a HEAD request all carry the cookie', async () => {
    const app = express();
    app.use(expressSession(sessions));
    app.use((req, _res, next) => {
      req.session.set('visits', 1);
      next();
    });
    app.get('/raw', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('raw');
    });
    app.get('/json', (_req, res) => void res.json({ ok: true }));
    app.get('/status', (_req, res) => void res.sendStatus(204));
    const served = await serve(app);
    try {
      for (const [path, method] of [['/raw', 'GET'], ['/json', 'GET'], ['/status', 'GET'], ['/json', 'HEAD']] as const) {
        const res = await new Client(served.base).request(path, { method });
        assert.ok(res.setCookies.some((l) => l.startsWith('session=')), `${method} ${path}`);
      }
    } finally {
      await served.close();
    }
  });
});
