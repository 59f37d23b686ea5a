// Redis going down under a running application (security checklist 5.1, cases 38 and 39), with each client
// library, through createSessionManager and the Fetch transport against a dedicated redis-server:
// - a request without a cookie costs zero Redis commands (counted by the server itself, INFO commandstats);
// - with the server stalled (CLIENT PAUSE), calls end at a deadline (ioredis's commandTimeout, the store's
//   `timeout` for node-redis, whose command timeout does not cover replies); a re-save that times out
//   writes no cookie and leaves the previous record's TTL alone;
// - with the server killed, a request carrying a cookie rejects fast with STORAGE_ERROR, keeps the cookie
//   (no clearing Set-Cookie), and nothing rejects unhandled; a save rejects and writes no Set-Cookie;
// - restarted on the same port (AOF with fsync on every write, so the data survives a SIGKILL), the same
//   cookie opens its session again.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { redisStorage, type RedisClientLike, type RedisStorage } from '../../src/storage/redis.ts';
import { command, commandCalls, redisServerSkipReason, startRedisServer, waitFor, type RedisServer } from '../helpers/redis.ts';
import { SECRET, quiet } from '../helpers/session.ts';
import { request } from './store-faults.ts';

const skip = redisServerSkipReason();
const noop = (): void => {};
const retry = (attempt: number): number => Math.min(50 * (attempt + 1), 500);
/** Data survives a SIGKILL: the AOF is fsynced on every write. */
const durable = ['--appendonly', 'yes', '--appendfsync', 'always'];
/** How fast a request must fail while Redis is down (the checklist asks for about a second). */
const FAIL_WITHIN_MS = 2000;
/** ioredis's per-command timeout, for a server that accepts commands but does not answer. */
const COMMAND_TIMEOUT_MS = 300;
/** The store's own deadline per call: what bounds node-redis, whose `timeout` only covers the send queue. */
const STORE_TIMEOUT_MS = 600;

/** A connected client of one library, with an 'error' listener (an unhandled 'error' event would crash us). */
interface Flavour {
  readonly name: string;
  connect(port: number): Promise<RedisClientLike>;
}

const flavours: Flavour[] = [
  {
    name: 'node-redis',
    async connect(port) {
      const client = createClient({
        url: `redis://127.0.0.1:${port}`,
        disableOfflineQueue: true,
        socket: { connectTimeout: 500, reconnectStrategy: retry },
      });
      client.on('error', noop);
      await client.connect();
      return client;
    },
  },
  {
    name: 'ioredis',
    async connect(port) {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 500,
        retryStrategy: retry,
        commandTimeout: COMMAND_TIMEOUT_MS,
      });
      client.on('error', noop);
      await client.connect();
      return client;
    },
  },
];

// The two libraries run side by side (each against its own server); the steps within one run in order.
describe('redis storage faults', { skip: skip ?? false, concurrency: true }, () => {
  for (const flavour of flavours) {
    describe(flavour.name, { concurrency: 1 }, () => {
      let dir = '';
      let server: RedisServer | undefined;
      let client: RedisClientLike | undefined;
      let storage: RedisStorage;
      let manager: SessionManager;
      let cookie = '';
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

      before(async () => {
        process.on('unhandledRejection', onUnhandled);
        dir = await mkdtemp(join(tmpdir(), 'httpsession-faults-'));
        server = await startRedisServer(durable, { dir });
        client = await flavour.connect(server.port);
        storage = redisStorage({ client, closeClient: true, timeout: STORE_TIMEOUT_MS });
        manager = createSessionManager({ secret: SECRET, storage, logger: quiet });
      }, { timeout: 30_000 });

      after(async () => {
        process.off('unhandledRejection', onUnhandled);
        await storage?.close();
        await server?.stop();
        await rm(dir, { recursive: true, force: true });
      });

      it('a request without a cookie makes zero Redis calls', async () => {
        await command(server!.port, ['CONFIG', 'RESETSTAT']);
        const { session, lines } = await request(manager, undefined);
        assert.equal(session.isNew, true);
        assert.deepEqual(lines, []);
        assert.equal(await commandCalls(server!.port), 0, 'commands other than INFO/CONFIG since RESETSTAT');
      });

      it('a saved session opens again (and the server counted its commands)', async () => {
        await command(server!.port, ['CONFIG', 'RESETSTAT']);
        const saved = await request(manager, undefined, async (s) => {
          s.set('user', 'alice');
          await s.save();
        });
        assert.equal(saved.lines.length, 1);
        cookie = saved.lines[0]!.split(';', 1)[0]!;
        assert.ok((await commandCalls(server!.port)) >= 1, 'the save reached this server');
        const again = await request(manager, cookie);
        assert.equal(again.session.get('user'), 'alice');
      });

      it('with Redis stalled, calls end at a deadline; a timed-out re-save keeps the previous record intact', async () => {
        const opened = await request(manager, cookie); // read before the stall: this request holds the session
        const record = `${manager.options.cookieName}:${opened.session.id}`; // the namespace is the cookie name
        // Every command (CLIENT UNPAUSE included) now waits until the pause ends by itself.
        await command(server!.port, ['CLIENT', 'PAUSE', '3000', 'ALL']);
        let started = performance.now();
        await assert.rejects(request(manager, cookie), (err: unknown) => isSessionError(err, 'STORAGE_ERROR'));
        assert.ok(performance.now() - started < FAIL_WITHIN_MS, 'a read is bounded by the deadline');
        opened.session.set('user', 'bob');
        started = performance.now();
        await assert.rejects(opened.session.save(), (err: unknown) => isSessionError(err, 'STORAGE_ERROR'));
        assert.ok(performance.now() - started < FAIL_WITHIN_MS, 'a write is bounded by the deadline');
        assert.deepEqual(opened.headers.getSetCookie(), [], 'no Set-Cookie for a failed save');
        // The SET still runs once Redis resumes (an orphan no cookie points to), but nothing after it is
        // sent: the replaced record keeps its TTL, so the previous cookie keeps working.
        await command(server!.port, ['PING'], 5000);
        await new Promise((r) => setTimeout(r, 100));
        assert.ok(Number(await command(server!.port, ['TTL', record])) > 3000, 'the previous record keeps its TTL');
        const again = await request(manager, cookie);
        assert.equal(again.session.get('user'), 'alice', 'replies stay in order after timed-out commands');
      });

      it('with Redis killed, a request with the cookie rejects fast with STORAGE_ERROR and keeps the cookie', async () => {
        await server!.kill('SIGKILL');
        const headers = new Headers();
        const started = performance.now();
        await assert.rejects(manager.start(new Request('http://127.0.0.1/', { headers: { cookie } }), headers), (err: unknown) => {
          assert.ok(isSessionError(err, 'STORAGE_ERROR'), `expected STORAGE_ERROR, got ${String(err)}`);
          assert.equal(err.storage, 'redis');
          assert.ok(err.cause !== undefined, 'the client error is chained');
          assert.doesNotMatch(err.message, new RegExp(cookie.slice(cookie.indexOf('=') + 1).slice(0, 22)), 'no session data in the message');
          return true;
        });
        const elapsed = performance.now() - started;
        assert.ok(elapsed < FAIL_WITHIN_MS, `rejected after ${Math.round(elapsed)} ms`);
        assert.deepEqual(headers.getSetCookie(), [], 'no Set-Cookie: the cookie is not cleared');
      });

      it('with Redis killed, a save rejects with STORAGE_ERROR and writes no Set-Cookie', async () => {
        const headers = new Headers();
        const session = await manager.start(new Request('http://127.0.0.1/'), headers);
        session.set('user', 'mallory');
        const started = performance.now();
        await assert.rejects(session.save(), (err: unknown) => isSessionError(err, 'STORAGE_ERROR') && err.storage === 'redis');
        assert.ok(performance.now() - started < FAIL_WITHIN_MS);
        assert.deepEqual(headers.getSetCookie(), []);
      });

      it('restarted on the same port, the same cookie opens with its data', async () => {
        server = await startRedisServer(durable, { port: server!.port, dir });
        // The client reconnects on its own (retry strategy, at most 500 ms apart); wait until it has.
        await waitFor('the client to reconnect', async () => {
          await storage.get('session', 'A'.repeat(43), Math.floor(Date.now() / 1000));
          return true;
        }, 10_000);
        const { session } = await request(manager, cookie);
        assert.equal(session.isNew, false);
        assert.equal(session.get('user'), 'alice');
      });

      it('left no rejection unhandled', async () => {
        // Let any straggling promise settle before looking.
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(unhandled, []);
      });
    });
  }
});
