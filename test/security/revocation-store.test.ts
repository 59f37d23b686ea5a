// The revocation store for cookie sessions (issue 4, ASVS 5.0 7.4.1, CVE-2024-31999): ended ids are
// refused at once, replaced ids after staleTtl, revoked subjects everywhere; a failing store fails closed
// by default and open when configured; a request cannot resurrect a session another request ended.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import type { Session } from '../../src/session.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { SECRET, quiet } from '../helpers/session.ts';

const T0 = 1_700_000_000;

function setup(extra: SessionOptions = {}) {
  const clock = fixedClock(T0);
  const reasons: string[] = [];
  const revoked = memoryStorage();
  const m = createSessionManager({
    secret: SECRET,
    now: clock.now,
    logger: quiet,
    revocation: { storage: revoked },
    onInvalid: (e) => reasons.push(e.reason),
    ...extra,
  });
  return { clock, reasons, m, revoked };
}

/** One request with `cookie`; `act` may change the session. Returns the cookie the client holds after. */
async function visit(m: SessionManager, cookie: string | undefined, act?: (s: Session) => unknown) {
  const headers = new Headers();
  const session = await m.start(new Request('https://example.com/', cookie === undefined ? {} : { headers: { cookie } }), headers);
  const before = { isNew: session.isNew, subject: session.subject, n: session.get('n') as number | undefined };
  await act?.(session);
  const kept = headers
    .getSetCookie()
    .filter((l) => !/Max-Age=0/.test(l))
    .map((l) => l.split(';', 1)[0]!)
    .join('; ');
  return { ...before, cookie: kept || cookie, headers };
}

describe('revocation store', () => {
  it('destroy: a replayed copy of the cookie is refused at once', async () => {
    const { m, reasons } = setup();
    const a = await visit(m, undefined, async (s) => {
      s.set('n', 1);
      await s.save();
    });
    await visit(m, a.cookie, (s) => s.destroy());
    const replay = await visit(m, a.cookie);
    assert.equal(replay.isNew, true);
    assert.equal(replay.n, undefined);
    assert.deepEqual(reasons, ['revoked']);
  });

  it('an ordinary save keeps the previous cookie valid for staleTtl seconds, then refuses it', async () => {
    const { m, clock, reasons } = setup({ staleTtl: 10 });
    const first = await visit(m, undefined, async (s) => {
      s.set('n', 1);
      await s.save();
    });
    const second = await visit(m, first.cookie, async (s) => {
      s.set('n', 2);
      await s.save();
    });
    clock.advance(9);
    assert.equal((await visit(m, first.cookie)).n, 1, 'in-flight requests with the old cookie still work');
    clock.advance(1);
    const rolledBack = await visit(m, first.cookie);
    assert.equal(rolledBack.isNew, true, 'the client cannot roll its data back to the older cookie');
    assert.deepEqual(reasons, ['revoked']);
    assert.equal((await visit(m, second.cookie)).n, 2);
  });

  it('resurrection: a request that opened the session before a logout cannot save it back', async () => {
    const { m } = setup();
    const a = await visit(m, undefined, async (s) => {
      s.set('n', 1);
      await s.save();
    });
    const headers = new Headers();
    const slow = await m.start(new Request('https://example.com/', { headers: { cookie: a.cookie! } }), headers);
    await visit(m, a.cookie, (s) => s.destroy());
    slow.set('n', 2);
    await assert.rejects(slow.save(), (err: unknown) => isSessionError(err, 'SESSION_REVOKED'));
    assert.deepEqual(headers.getSetCookie(), [], 'nothing was written');
    assert.equal((await visit(m, a.cookie)).isNew, true);
  });

  it('revokeSubject logs a subject out of every cookie session created before it, in every audience', async () => {
    const { m, clock, revoked } = setup();
    const shop = createSessionManager({ secret: SECRET, now: clock.now, logger: quiet, audience: 'shop', revocation: { storage: revoked } });
    const login = (subject: string) => async (s: Session) => {
      s.setSubject(subject);
      await s.save();
    };
    const alice = await visit(m, undefined, login('alice'));
    const aliceShop = await visit(shop, undefined, login('alice'));
    const bob = await visit(m, undefined, login('bob'));
    clock.advance(1);
    assert.equal(await m.revokeSubject('alice'), 0, 'no server-side records to delete');
    assert.equal((await visit(m, alice.cookie)).isNew, true);
    assert.equal((await visit(shop, aliceShop.cookie)).isNew, true);
    assert.equal((await visit(m, bob.cookie)).subject, 'bob');
    clock.advance(1);
    const again = await visit(m, undefined, login('alice'));
    assert.equal((await visit(m, again.cookie)).subject, 'alice', 'a new login after the revocation works');
  });

  it('a failing revocation store fails closed by default: the request rejects with STORAGE_ERROR', async () => {
    const broken: Storage = {
      name: 'broken',
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
    };
    const ok = setup();
    const a = await visit(ok.m, undefined, async (s) => {
      s.set('n', 1);
      await s.save();
    });
    const closed = createSessionManager({ secret: SECRET, now: ok.clock.now, logger: quiet, revocation: { storage: broken } });
    await assert.rejects(
      closed.start(new Request('https://example.com/', { headers: { cookie: a.cookie! } }), new Headers()),
      (err: unknown) => isSessionError(err, 'STORAGE_ERROR') && err.storage === 'broken' && err.cause instanceof Error,
    );
    const warnings: string[] = [];
    const open = createSessionManager({ secret: SECRET, now: ok.clock.now, logger: { warn: (w) => warnings.push(w) }, revocation: { storage: broken, failMode: 'open' } });
    const s = await open.start(new Request('https://example.com/', { headers: { cookie: a.cookie! } }), new Headers());
    assert.equal(s.get('n'), 1, 'fail open lets the session through');
    assert.equal(warnings.length, 1);
    // A request without a cookie never asks the revocation store.
    const fresh = await closed.start(new Request('https://example.com/'), new Headers());
    assert.equal(fresh.isNew, true);
  });

  it('stores only hashes: no session id appears in the revocation store', async () => {
    const calls: string[] = [];
    const inner = memoryStorage();
    const spy: Storage = {
      name: 'spy',
      get: (ns, key, now) => (calls.push(key), inner.get(ns, key, now)),
      set: (input) => (calls.push(input.key, input.value), inner.set(input)),
      delete: (ns, key, now) => inner.delete(ns, key, now),
    };
    const { m } = setup({ revocation: { storage: spy } });
    const a = await visit(m, undefined, async (s) => {
      s.setSubject('alice');
      await s.save();
    });
    let id = '';
    await visit(m, a.cookie, async (s) => {
      id = s.id;
      await s.destroy();
    });
    assert.ok(calls.length > 0);
    assert.ok(calls.every((c) => c !== id && !c.includes('alice')));
  });

  it('validates the option', () => {
    assert.throws(() => createSessionManager({ secret: SECRET, revocation: { storage: {} as Storage } }), /"revocation.storage"/);
    assert.throws(() => createSessionManager({ secret: SECRET, revocation: { storage: memoryStorage(), failMode: 'sometimes' as 'open' } }), /"revocation.failMode"/);
  });
});
