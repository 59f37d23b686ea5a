/**
 * Lifecycle events (`sessions.on/off`), attribute events and per-attribute binding listeners
 * (`sessions.onBinding`), listeners that throw, and the session after destroy.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionError } from '../../src/errors.ts';
import { SESSION_EVENT_NAMES, type SessionEventMap, type SessionEventName } from '../../src/events.ts';
import type { SessionManager } from '../../src/manager.ts';
import type { Session } from '../../src/session.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { CookieJar, withServer } from '../helpers/http.ts';
import { bed, Client, SECRET, T0, visit } from '../helpers/session.ts';

const ALL = SESSION_EVENT_NAMES;

type Seen = Array<[SessionEventName, Record<string, unknown>]>;

/** Records every event of `m` as `[name, payload without the session]`; `take()` empties the record. */
function recorder(m: SessionManager): { seen: Seen; take(): Seen; sessions: Session[] } {
  const seen: Seen = [];
  const sessions: Session[] = [];
  for (const name of ALL) {
    m.on(name, (event) => {
      const { session, ...rest } = event as SessionEventMap[typeof name] & { session?: Session };
      if (session !== undefined) sessions.push(session);
      seen.push([name, rest]);
    });
  }
  return { seen, sessions, take: () => seen.splice(0, seen.length) };
}

/** Saves a new session with `data`; returns the client and its session's id. */
async function login(m: SessionManager, data: Record<string, unknown> = { user: 'ada' }, client = new Client()): Promise<{ client: Client; id: string }> {
  const { result } = await visit(client, m, async (s) => {
    s.setData(data);
    await s.save();
    return s.id;
  });
  return { client, id: result };
}

describe('lifecycle events', () => {
  it('created and saved on the first save, saved alone later; regenerated carries the old and new ids', async () => {
    const b = bed();
    const m = b.manager();
    const r = recorder(m);
    const { client, id } = await login(m, {});
    assert.deepEqual(r.take(), [['created', {}], ['saved', {}]]);
    let ids: string[] = [];
    await visit(client, m, async (s) => {
      const before = s.id;
      await s.save();
      const middle = s.id;
      await s.regenerate();
      ids = [id, before, middle, s.id];
    });
    assert.equal(ids[0], ids[1]);
    assert.deepEqual(r.take(), [['saved', {}], ['saved', {}], ['regenerated', { oldId: ids[2], newId: ids[3] }]]);
    // A subject change makes the next save a regeneration (fixation defence): the event says so.
    await visit(client, m, async (s) => {
      const old = s.id;
      await s.setSubject('ada').save();
      ids = [old, s.id];
    });
    assert.deepEqual(r.take(), [['saved', {}], ['regenerated', { oldId: ids[0], newId: ids[1] }]]);
    assert.notEqual(ids[0], ids[1]);
  });

  it('saveSync and commitSync report like save and commit', async () => {
    const b = bed({ idlingTimeout: 3000 });
    const m = b.manager();
    const r = recorder(m);
    const client = new Client();
    await visit(client, m, (s) => {
      s.set('n', 1);
      s.saveSync();
    });
    assert.deepEqual(r.take().filter(([n]) => !n.startsWith('attribute')), [['created', {}], ['saved', {}]]);
    await visit(client, m, (s) => {
      s.set('n', 2);
      assert.equal(s.commitSync(), 'saved');
    });
    b.clock.set(T0 + 61);
    await visit(client, m, (s) => assert.equal(s.commitSync(), 'touched'));
    b.clock.set(T0 + 2701);
    await visit(client, m, (s) => assert.equal(s.commitSync(), 'saved'));
    assert.deepEqual(r.take().filter(([n]) => !n.startsWith('attribute')), [
      ['saved', {}],
      ['refreshed', { action: 'touched' }],
      ['saved', {}],
      ['refreshed', { action: 'saved' }],
    ]);
    // commit() of a closed session commits nothing and does not throw.
    await visit(client, m, async (s) => {
      await s.destroy();
      assert.equal(await s.commit(), 'none');
      assert.equal(s.commitSync(), 'none');
    });
  });

  it('a session restored from a remember cookie is created (not new to the client)', async () => {
    const b = bed({ remember: true, rememberSafety: 'low' });
    const m = b.manager();
    const { client } = await login(m);
    client.jar.delete('session');
    const r = recorder(m);
    const { x } = await visit(client, m, () => undefined);
    assert.deepEqual(r.take(), [['created', {}], ['saved', {}]]);
    assert.equal(x.session.isNew, false);
  });

  it('refreshed: touched by refresh() (or touch()), saved past 3/4 of the rolling timeout', async () => {
    const b = bed({ idlingTimeout: 3000 });
    const m = b.manager();
    const { client } = await login(m);
    const r = recorder(m);
    b.clock.set(T0 + 61);
    await visit(client, m, async (s) => assert.equal(await s.refresh(), 'touched'));
    assert.deepEqual(r.take(), [['refreshed', { action: 'touched' }]]);
    await visit(client, m, async (s) => assert.equal(await s.refresh(), 'none'));
    await visit(client, m, (s) => s.touch());
    assert.deepEqual(r.take(), [['refreshed', { action: 'touched' }]]);
    b.clock.set(T0 + 2701);
    await visit(client, m, async (s) => assert.equal(await s.refresh(), 'saved'));
    assert.deepEqual(r.take(), [['saved', {}], ['refreshed', { action: 'saved' }]]);
  });

  it('destroyed: by destroy() and by logout(), with the id, audience and subject; the session is closed', async () => {
    const b = bed({ subject: 'ada' });
    const app1 = b.manager({ audience: 'app1' });
    const app2 = b.manager({ audience: 'app2' });
    const r1 = recorder(app1);
    const r2 = recorder(app2);
    const { client, id } = await login(app1);
    await login(app2, { other: 1 }, client);
    r1.take();
    r2.take();
    let lastId = '';
    await visit(client, app2, async (s) => {
      lastId = s.id;
      await s.logout(); // app1 remains: only app2's share ends
    });
    assert.deepEqual(r2.take(), [['destroyed', { how: 'logout', id: lastId, audience: 'app2', subject: 'ada' }]]);
    await visit(client, app1, async (s) => {
      lastId = s.id;
      await s.destroy();
    });
    assert.notEqual(lastId, id);
    assert.deepEqual(r1.take(), [['destroyed', { how: 'destroy', id: lastId, audience: 'app1', subject: 'ada' }]]);
    assert.deepEqual(r1.sessions.slice(-1).map((s) => s.state), ['closed']);
    // logout() of the last audience destroys the session: still reported as a logout.
    const { client: alone } = await login(app1);
    r1.take();
    await visit(alone, app1, async (s) => {
      lastId = s.id;
      await s.logout();
    });
    assert.deepEqual(r1.take(), [['destroyed', { how: 'logout', id: lastId, audience: 'app1', subject: 'ada' }]]);
  });

  it('expired says which timeout passed; invalid comes with every rejected cookie, as onInvalid does', async () => {
    const cases = [
      { timeout: 'idling', at: 901, options: {} },
      { timeout: 'rolling', at: 3601, options: { idlingTimeout: 0 } },
      { timeout: 'absolute', at: 1001, options: { idlingTimeout: 0, rollingTimeout: 0, absoluteTimeout: 1000 } },
    ] as const;
    for (const { timeout, at, options } of cases) {
      const b = bed(options);
      const m = b.manager();
      const { client } = await login(m);
      const r = recorder(m);
      b.clock.set(T0 + at);
      await visit(client.clone(), m, (s) => assert.equal(s.isNew, true));
      const [detail] = b.invalid.events.map((e) => e.detail);
      assert.deepEqual(r.take(), [
        ['invalid', { reason: 'expired', cookie: 'session', detail }],
        ['expired', { cookie: 'session', timeout, detail }],
      ]);
    }
  });

  it('a cookie from the future, a tampered or foreign cookie: invalid only', async () => {
    const b = bed();
    const { client } = await login(b.manager());
    const m = b.manager();
    const r = recorder(m);
    b.clock.set(T0 - 3600);
    await visit(client.clone(), m, () => undefined);
    const foreign = await login(b.manager({ secret: `${SECRET}-other` }));
    b.clock.set(T0);
    await visit(foreign.client, m, () => undefined);
    assert.deepEqual(r.take(), [
      ['invalid', { reason: 'expired', cookie: 'session', detail: 'session creation time is in the future' }],
      ['invalid', { reason: 'unauthenticated', cookie: 'session', detail: 'invalid session message authentication code' }],
    ]);
  });

  it('an expired remember cookie is reported as such', async () => {
    const b = bed({ remember: true, rememberSafety: 'low' });
    const m = b.manager();
    const { client } = await login(m);
    const r = recorder(m);
    b.clock.set(T0 + 604801);
    await visit(client, m, () => undefined);
    const expired = r.take().filter(([name]) => name === 'expired');
    assert.deepEqual(expired, [
      ['expired', { cookie: 'session', timeout: 'absolute', detail: 'session absolute timeout exceeded' }],
      ['expired', { cookie: 'remember', timeout: 'rolling', detail: 'session remember rolling timeout exceeded' }],
    ]);
  });

  it('on() returns a function that removes the listener, off() does too; bad names and listeners throw', async () => {
    const b = bed();
    const m = b.manager();
    let calls = 0;
    const listener = (): void => void calls++;
    const remove = m.on('saved', listener);
    await login(m);
    remove();
    await login(m);
    m.on('saved', listener);
    m.off('saved', listener);
    m.off('saved', listener); // a no-op the second time
    await login(m);
    assert.equal(calls, 1);
    assert.throws(() => m.on('save' as never, listener), { name: 'TypeError', message: /session event expected one of created, saved/ });
    assert.throws(() => m.on('saved', 'x' as never), { name: 'TypeError', message: /"saved" listener expected a function/ });
    assert.throws(() => m.onBinding('@flash' as never, { bound() {} }), { name: 'TypeError', message: /not starting with "@"/ });
    assert.throws(() => m.onBinding('cart', {}), { name: 'TypeError', message: /expected a bound or an unbound function/ });
  });
});

describe('attribute events and binding listeners', () => {
  it('added, replaced and removed, with the old and new values, from set, remove, clear and setData', async () => {
    const b = bed();
    const m = b.manager();
    const r = recorder(m);
    await visit(new Client(), m, (s) => {
      s.set('a', 1).set('a', { n: 2 }).set('a', undefined).set('b', 'x').remove('b').remove('never');
      s.set('c', 1).set('d', 2).clear();
      s.set('e', 1).set('f', 2).setData({ f: 3, g: 4 });
      // The reserved attributes are the library's: no attribute events.
      s.setIdlingTimeout(60).setRemember(false);
    });
    assert.deepEqual(r.take(), [
      ['attributeAdded', { name: 'a', value: 1 }],
      ['attributeReplaced', { name: 'a', oldValue: 1, value: { n: 2 } }],
      ['attributeRemoved', { name: 'a', oldValue: { n: 2 } }],
      ['attributeAdded', { name: 'b', value: 'x' }],
      ['attributeRemoved', { name: 'b', oldValue: 'x' }],
      ['attributeAdded', { name: 'c', value: 1 }],
      ['attributeAdded', { name: 'd', value: 2 }],
      ['attributeRemoved', { name: 'c', oldValue: 1 }],
      ['attributeRemoved', { name: 'd', oldValue: 2 }],
      ['attributeAdded', { name: 'e', value: 1 }],
      ['attributeAdded', { name: 'f', value: 2 }],
      ['attributeRemoved', { name: 'e', oldValue: 1 }],
      ['attributeReplaced', { name: 'f', oldValue: 2, value: 3 }],
      ['attributeAdded', { name: 'g', value: 4 }],
    ]);
  });

  it('bound and unbound by attribute name: replaced, removed, destroyed; the listener can be removed', async () => {
    const b = bed();
    const m = b.manager<{ upload: { id: string }; other: number }>();
    const calls: string[] = [];
    const remove = m.onBinding('upload', {
      bound: ({ name, value }) => void calls.push(`bound ${name} ${value.id}`),
      unbound: ({ value, reason }) => void calls.push(`unbound ${value.id} ${reason}`),
    });
    const client = new Client();
    await visit(client, m, async (s) => {
      s.set('upload', { id: 'u1' }).set('upload', { id: 'u2' }).set('other', 1).remove('upload').set('upload', { id: 'u3' });
      await s.save();
    });
    await visit(client, m, (s) => s.destroy());
    assert.deepEqual(calls, ['bound upload u1', 'unbound u1 replaced', 'bound upload u2', 'unbound u2 removed', 'bound upload u3', 'unbound u3 destroyed']);
    remove();
    await visit(new Client(), m, (s) => void s.set('upload', { id: 'u4' }));
    assert.equal(calls.length, 6);
  });
});

describe('a listener that throws', () => {
  it('never breaks the request: a throw or a rejection is logged, with no id or cookie in the line', async () => {
    const logs: unknown[][] = [];
    const logger = { warn: (...args: unknown[]) => void logs.push(args) };
    const b = bed({ logger });
    const m = b.manager();
    m.on('saved', ({ session }) => {
      throw new Error(`listener bug ${session.id}`);
    });
    m.on('saved', async () => {
      throw new TypeError('async listener bug');
    });
    m.onBinding('cart', {
      bound: () => {
        throw new RangeError('binding bug');
      },
    });
    let after = 0;
    m.on('saved', () => void after++);
    const jar = new CookieJar();
    await withServer(
      async (req, res) => {
        const session = await m.start(req, res);
        session.set('cart', ['apple']);
        await session.save();
        res.end('ok');
      },
      async (base) => {
        const response = await fetch(`${base}/`);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), 'ok');
        jar.update(response.headers.getSetCookie());
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(after, 1, 'the listeners after the failing one still ran');
    const lines = logs.map((l) => String(l[0]));
    assert.deepEqual(lines.sort(), [
      'httpsession: a "saved" listener failed (Error); the request went on',
      'httpsession: a "saved" listener failed (TypeError); the request went on',
      'httpsession: the bound listener of "cart" failed (RangeError); the request went on',
    ]);
    const cookie = jar.get('session')!;
    assert.ok(cookie.length > 100);
    for (const line of lines) assert.ok(!line.includes(cookie.slice(0, 43)) && !line.includes('listener bug '), line);
    // The listener's own error follows the line, for the application's own logger to show.
    assert.ok(logs.every((l) => l[1] instanceof Error));
  });

  it('a logger that throws too is ignored', async () => {
    const b = bed({
      logger: {
        warn: () => {
          throw new Error('logger down');
        },
      },
    });
    const m = b.manager();
    m.on('created', () => {
      throw new Error('x');
    });
    await login(m);
  });
});

describe('after destroy()', () => {
  it('every method and property but state, isModified, canSaveSync, close() and commit throws SESSION_CLOSED; with server-side storage too', async () => {
    for (const options of [{}, { storage: memoryStorage() }]) {
      const b = bed(options);
      const m = b.manager();
      const { client } = await login(m);
      const { session } = await client.open(m);
      await session.destroy();
      const uses: Array<() => unknown> = [
        () => session.id,
        () => session.isNew,
        () => session.creationTime,
        () => session.lastAccessedTime,
        () => session.audience,
        () => session.subject,
        () => session.remember,
        () => session.timeouts,
        () => session.timeToLive,
        () => session.timeRemaining(),
        () => session.get('user'),
        () => session.set('user', 'x'),
        () => session.remove('user'),
        () => session.has('user'),
        () => session.names(),
        () => [...session],
        () => session.clear(),
        () => session.getData(),
        () => session.setData({}),
        () => session.setAudience('x'),
        () => session.setSubject('x'),
        () => session.setRemember(true),
        () => session.setIdlingTimeout(1),
        () => session.setRollingTimeout(1),
        () => session.setAbsoluteTimeout(1),
        () => session.touch(),
        () => session.setHeaders('id'),
        () => session.clearRequestCookie(),
        () => session.flash('notice', 'x'),
        () => session.takeFlash('notice'),
        () => session.saveSync(),
      ];
      for (const use of uses) assert.throws(use, (e: unknown) => isSessionError(e, 'SESSION_CLOSED'), String(use));
      for (const use of [() => session.save(), () => session.refresh(), () => session.regenerate(), () => session.destroy(), () => session.logout()]) {
        await assert.rejects(use, (e: unknown) => isSessionError(e, 'SESSION_CLOSED'), String(use));
      }
      assert.equal(session.state, 'closed');
      // What an adapter calls after the handler, whatever the handler did, still works.
      assert.equal(session.isModified, false);
      assert.equal(session.canSaveSync, options.storage === undefined);
      assert.equal(session.commitSync(), 'none');
      assert.equal(await session.commit(), 'none');
      session.close();
      assert.equal(session.state, 'closed');
    }
  });
});
