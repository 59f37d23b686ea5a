/**
 * The steps of a store's fault test, shared by the PostgreSQL, MariaDB and memcached fault tests (and the
 * request helper of the Redis one): each
 * registers them inside its own `describe` with its own throw-away server. They run in order and share
 * the cookies saved in the first step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { Storage } from '../../src/storage/types.ts';
import { waitFor } from '../helpers/redis.ts';
import { SECRET, quiet } from '../helpers/session.ts';
import type { ServerProcess } from '../helpers/servers.ts';

/**
 * How fast a call must fail while the server is down or stalled: the stores under test have a deadline of
 * 1000 ms, and the margin is for a machine loaded by the rest of the test run.
 */
export const FAIL_WITHIN_MS = 3000;

/** What the steps need from the test that registers them. */
export interface FaultBed {
  /** The store's name, as in its errors. */
  readonly name: string;
  manager(): SessionManager;
  server(): ServerProcess;
  /** Starts the server again on the same port (and data), and waits until the store reaches it. */
  restart(): Promise<void>;
  /** False for a store whose data does not survive a crash (memcached): the last step then only reconnects. */
  readonly durable?: boolean;
}

/** One request through the Fetch transport: `start()`, then `fn`; returns the session and its Set-Cookie lines. */
export async function request(manager: SessionManager, cookie: string | undefined, fn?: (session: Awaited<ReturnType<SessionManager['start']>>) => Promise<void>) {
  const headers = new Headers();
  const req = new Request('http://127.0.0.1/', cookie === undefined ? {} : { headers: { cookie } });
  const session = await manager.start(req, headers);
  await fn?.(session);
  return { session, headers, lines: headers.getSetCookie() };
}

const elapsedSince = (started: number): number => Math.round(performance.now() - started);

/**
 * Registers the fault steps with `it()`.
 * @param bed - the store under test and its server
 */
export function faultSteps(bed: FaultBed): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  /** name -> cookie of the sessions saved before the faults. */
  const saved = new Map<string, string>();
  const storageError = (err: unknown): boolean => {
    assert.ok(isSessionError(err, 'STORAGE_ERROR'), `expected STORAGE_ERROR, got ${String(err)}`);
    assert.equal(err.storage, bed.name);
    assert.ok(err.cause !== undefined, 'the client error is chained');
    for (const cookie of saved.values()) assert.ok(!err.message.includes(cookie.slice(cookie.indexOf('=') + 1, cookie.indexOf('=') + 23)), 'no cookie in the message');
    return true;
  };
  before(() => void process.on('unhandledRejection', onUnhandled));
  after(() => void process.off('unhandledRejection', onUnhandled));

  it('sessions saved under load open again', async () => {
    // 20 sessions, 5 at a time, each saved then re-saved once (a new record, the old one shortened).
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    for (let i = 0; i < users.length; i += 5) await Promise.all(users.slice(i, i + 5).map(async (user) => {
      const first = await request(bed.manager(), undefined, async (s) => {
        s.set('user', user);
        await s.save();
      });
      const cookie = first.lines[0]!.split(';', 1)[0]!;
      const second = await request(bed.manager(), cookie, async (s) => {
        s.set('visits', 2);
        await s.save();
      });
      saved.set(user, second.lines[0]!.split(';', 1)[0]!);
    }));
    for (const [user, cookie] of saved) assert.equal((await request(bed.manager(), cookie)).session.get('user'), user);
  });

  it('with the server stalled, reads and saves reject with STORAGE_ERROR at the deadline, no Set-Cookie', async () => {
    const [user, cookie] = [...saved][0]!;
    const opened = await request(bed.manager(), cookie);
    bed.server().pause();
    try {
      let started = performance.now();
      await assert.rejects(request(bed.manager(), cookie), storageError);
      assert.ok(elapsedSince(started) < FAIL_WITHIN_MS, `a read rejected after ${elapsedSince(started)} ms`);
      opened.session.set('user', `${user}-changed`);
      started = performance.now();
      await assert.rejects(opened.session.save(), storageError);
      assert.ok(elapsedSince(started) < FAIL_WITHIN_MS, `a save rejected after ${elapsedSince(started)} ms`);
      assert.deepEqual(opened.headers.getSetCookie(), [], 'no Set-Cookie for a failed save');
    } finally {
      bed.server().resume();
    }
  });

  it('resumed, the sessions open again', async () => {
    // The stalled calls complete once the server runs again; new calls then find their sessions.
    for (const [user, cookie] of saved) {
      const { session } = await request(bed.manager(), cookie);
      assert.match(String(session.get('user')), new RegExp(`^${user}`));
    }
  });

  it('with the server killed, a request with the cookie rejects fast and keeps the cookie; a save writes nothing', async () => {
    await bed.server().kill();
    const cookie = [...saved.values()][1]!;
    const headers = new Headers();
    let started = performance.now();
    await assert.rejects(bed.manager().start(new Request('http://127.0.0.1/', { headers: { cookie } }), headers), storageError);
    assert.ok(elapsedSince(started) < FAIL_WITHIN_MS, `rejected after ${elapsedSince(started)} ms`);
    assert.deepEqual(headers.getSetCookie(), [], 'no Set-Cookie: the cookie is not cleared');
    const fresh = await request(bed.manager(), undefined);
    fresh.session.set('user', 'mallory');
    started = performance.now();
    await assert.rejects(fresh.session.save(), storageError);
    assert.ok(elapsedSince(started) < FAIL_WITHIN_MS, `a save rejected after ${elapsedSince(started)} ms`);
    assert.deepEqual(fresh.headers.getSetCookie(), []);
  });

  it(bed.durable === false ? 'restarted, the store reconnects by itself' : 'restarted, every session saved before the crash opens with its data', async () => {
    await bed.restart();
    if (bed.durable === false) return;
    for (const [user, cookie] of saved) {
      const { session } = await request(bed.manager(), cookie);
      assert.equal(session.isNew, false, `${user}'s session survived`);
      assert.match(String(session.get('user')), new RegExp(`^${user}`));
    }
  });

  it('left no rejection unhandled', async () => {
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled, []);
  });
}

/** How {@link storeFaultSuite} runs one store against its own throw-away server. */
export interface FaultSuite<S extends ServerProcess> {
  /** The describe() title. */
  readonly title: string;
  /** The store's name, as in its errors. */
  readonly name: string;
  /** Why the suite must skip (no server binary), or undefined. */
  readonly skip: string | undefined;
  /** Starts the server: a new one, or again on the port and data directory of a stopped one. */
  start(again?: S): Promise<S>;
  /** A store (timeout 1000 ms) over a new client of `server`, which the store closes (closeClient). */
  connect(server: S): Promise<Storage & { close(): Promise<void> }>;
  /** False for a store whose data does not survive a crash. */
  readonly durable?: boolean;
}

/**
 * Registers a store's fault test: its server started before, stopped after, the {@link faultSteps} in
 * between, through createSessionManager.
 * @param suite - the store and its server
 */
export function storeFaultSuite<S extends ServerProcess>(suite: FaultSuite<S>): void {
  describe(suite.title, { skip: suite.skip ?? false, concurrency: 1 }, () => {
    let server: S | undefined;
    let storage: (Storage & { close(): Promise<void> }) | undefined;
    let manager: SessionManager | undefined;
    before(async () => {
      server = await suite.start();
      storage = await suite.connect(server);
      manager = createSessionManager({ secret: SECRET, storage, logger: quiet });
    }, { timeout: 120_000 });
    after(async () => {
      await storage?.close();
      await server?.stop();
    });
    faultSteps({
      name: suite.name,
      manager: () => manager!,
      server: () => server!,
      ...(suite.durable === undefined ? {} : { durable: suite.durable }),
      async restart() {
        server = await suite.start(server);
        // The client drops its dead connections as they fail and opens new ones: wait until one works.
        await waitFor('the client to reach the restarted server', async () => {
          await storage!.get('session', 'A'.repeat(43), Date.now() / 1000);
          return true;
        }, 20_000);
      },
    });
  });
}
