/**
 * The Fastify 5 adapter with the real framework over real HTTP: the shared adapter suite, then what is
 * Fastify's own (hijack, @fastify-style Set-Cookie coexistence, the encapsulation fastify-plugin lifts,
 * a custom error handler, options instead of a manager).
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Fastify, { type FastifyRequest } from 'fastify';
import { fastifySession } from '../../src/adapters/fastify.ts';
import { isSessionError } from '../../src/errors.ts';
import { fileStorage } from '../../src/storage/file.ts';
import { adapterSuite, Browser, exampleSuite, SUITE_COOKIE, suiteManager } from '../helpers/adapter-suite.ts';
import { routes, startFastify } from '../helpers/apps/fastify.ts';
import { LONG_SECRET } from '../helpers/http.ts';

adapterSuite('Fastify 5', (sessions) => startFastify(sessions));

describe('Fastify 5 adapter: what is particular to Fastify', () => {
  it('takes the options of createSessionManager instead of a manager', async () => {
    const app = Fastify({ logger: false });
    await app.register(fastifySession, { secret: LONG_SECRET, cookie: { name: 'sid', secure: false } });
    routes(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const b = new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
      assert.equal((await b.get('/count')).body, '1');
      assert.ok(b.jar.get('sid'));
      assert.equal((await b.get('/count')).body, '2');
    } finally {
      await app.close();
    }
  });

  it('a configuration mistake fails the registration with the option named', async () => {
    const app = Fastify({ logger: false });
    app.register(fastifySession, { secret: LONG_SECRET, idlingTimeout: -1 });
    await assert.rejects(async () => app.ready(), (error: unknown) => error instanceof RangeError && /"idlingTimeout"/.test(error.message));
    await app.close();
  });

  it('routes in encapsulated child plugins see request.session (fastify-plugin lifts the hooks)', async () => {
    const running = await startFastify(suiteManager(), (app) => {
      app.register(async (child) => {
        child.get('/child', async (request) => {
          request.session.set('child', true);
          return 'child';
        });
      });
    });
    try {
      const b = new Browser(running.base);
      const seen = await b.get('/child');
      assert.equal(seen.body, 'child');
      assert.ok(b.jar.get(SUITE_COOKIE));
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { child: true });
    } finally {
      await running.close();
    }
  });

  it('coexists with other Set-Cookie headers (reply.header appends)', async () => {
    const running = await startFastify(suiteManager(), (app) => {
      app.get('/other-cookie', async (request, reply) => {
        reply.header('set-cookie', 'theme=dark; Path=/');
        request.session.set('n', 41);
        return 'ok';
      });
    });
    try {
      const seen = await new Browser(running.base).get('/other-cookie');
      assert.ok(seen.setCookies.includes('theme=dark; Path=/'), seen.setCookies.join(' | '));
      assert.ok(seen.setCookies.some((l) => l.startsWith(`${SUITE_COOKIE}=`)));
    } finally {
      await running.close();
    }
  });

  it('after reply.hijack(), an explicit commit() puts the cookie on the raw response', async () => {
    const running = await startFastify(suiteManager(), (app) => {
      app.get('/hijack', async (request, reply) => {
        reply.hijack();
        request.session.set('n', 7);
        await request.session.commit();
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.end('raw');
      });
    });
    try {
      const b = new Browser(running.base);
      const seen = await b.get('/hijack');
      assert.equal(seen.body, 'raw');
      assert.ok(b.jar.get(SUITE_COOKIE), 'the cookie went out on reply.raw');
      assert.deepEqual(JSON.parse((await b.get('/peek')).body), { n: 7 });
    } finally {
      await running.close();
    }
  });

  it("a custom error handler receives the typed SessionError of a failed commit", async () => {
    // A real file store whose directory can never exist (its parent is a regular file).
    const blocker = join(await mkdtemp(join(tmpdir(), 'httpsession-fastify-')), 'not-a-directory');
    await writeFile(blocker, '');
    const failing = suiteManager({ storage: fileStorage({ directory: join(blocker, 'sessions') }) });
    const app = Fastify({ logger: false });
    await app.register(fastifySession, { sessions: failing });
    app.setErrorHandler(async (error, _request, reply) => {
      reply.code(503);
      return isSessionError(error, 'STORAGE_ERROR') ? `store: ${error.storage}` : 'other';
    });
    routes(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const seen = await new Browser(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`).get('/count');
      assert.equal(seen.status, 503);
      assert.equal(seen.body, 'store: file');
      assert.deepEqual(seen.setCookies, []);
    } finally {
      await app.close();
    }
  });
});

describe('Fastify 5 adapter: types and the example', () => {
  it('request.session is typed by the augmented SessionData, without casts', () => {
    const handler = (request: FastifyRequest): number | undefined => {
      // @ts-expect-error an attribute SessionData does not declare
      request.session.get('nope');
      // @ts-expect-error a value of the wrong type
      request.session.set('n', 'one');
      return request.session.get('n');
    };
    assert.equal(typeof handler, 'function');
  });

  exampleSuite('examples/fastify.ts');
});
