/**
 * The Session lifecycle over cookie storage and memoryStorage(): attributes, identity, save, regenerate,
 * logout, destroy, close, audiences and subjects, chunking, headers, request-cookie hiding and failures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSessionError, SessionError } from '../../src/errors.ts';
import type { SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import type { Session } from '../../src/session.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { bed, Client, incompressible, isExpiry, lineFor, T0, visit, type Bed } from '../helpers/session.ts';

const KINDS = [
  { name: 'cookie storage', memory: false, options: (): SessionOptions => ({}) },
  { name: 'memoryStorage()', memory: true, options: (): SessionOptions => ({ storage: memoryStorage() }) },
] as const;

/** Saves `data` in a new session; returns the client holding the cookie and the session id. */
async function saved(m: SessionManager, data: Record<string, unknown>, client = new Client()): Promise<Client> {
  await visit(client, m, async (s) => {
    for (const [k, v] of Object.entries(data)) s.set(k, v);
    await s.save();
  });
  return client;
}

/** The data the client's cookie opens to, or undefined when it opens no session. */
async function reads(m: SessionManager, client: Client): Promise<Record<string, unknown> | undefined> {
  const x = await client.clone().open(m);
  return x.session.isNew ? undefined : x.session.getData();
}

const closedError = (e: unknown): boolean => isSessionError(e, 'SESSION_CLOSED');

for (const kind of KINDS) {
  describe(`session lifecycle (${kind.name})`, () => {
    const setup = (extra: SessionOptions = {}): { b: Bed; m: SessionManager } => {
      const b = bed(kind.options());
      return { b, m: b.manager(extra) };
    };

    it('get/set/remove/has/names/iteration/clear/getData/setData, and the data survives a round trip', async () => {
      const { m } = setup();
      const client = new Client();
      await visit(client, m, async (s) => {
        assert.equal(s.get('a'), undefined);
        assert.equal(s.set('a', 1).set('b', { deep: [1, 'x', null, true] }), s);
        assert.equal(s.get('a'), 1);
        assert.equal(s.has('a'), true);
        assert.equal(s.has('zz'), false);
        assert.deepEqual(s.names(), ['a', 'b']);
        assert.deepEqual([...s], [['a', 1], ['b', { deep: [1, 'x', null, true] }]]);
        s.remove('a').remove('never-set');
        assert.equal(s.has('a'), false);
        s.set('c', 'three').set('c', undefined); // undefined removes
        assert.equal(s.has('c'), false);
        const copy = s.getData();
        (copy.b as { deep: unknown[] }).deep.push('mutated');
        assert.deepEqual(s.get('b'), { deep: [1, 'x', null, true] }, 'getData returns a deep copy');
        s.setData({ x: 1, y: 'two' });
        assert.deepEqual(s.getData(), { x: 1, y: 'two' });
        s.clear();
        assert.deepEqual(s.names(), []);
        s.setData({ kept: ['v'], n: 0 });
        await s.save();
      });
      assert.deepEqual(await reads(m, client), { kept: ['v'], n: 0 });
    });

    it('set refuses values that do not survive JSON, with a TypeError naming the key', async () => {
      const { m } = setup();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad: Array<[string, unknown]> = [
        ['fn', () => 1],
        ['sym', Symbol('s')],
        ['big', 10n],
        ['cyclic', cyclic],
        ['date', new Date(0)],
        ['map', new Map()],
        ['nan', Number.NaN],
        ['nestedUndefined', { a: { b: undefined } }],
      ];
      const { session } = await new Client().open(m);
      for (const [key, value] of bad) {
        assert.throws(() => session.set(key, value), (e: unknown) => e instanceof TypeError && e.message.includes(`"${key}"`), key);
        assert.equal(session.has(key), false);
        assert.throws(() => session.setData({ ok: 1, [key]: value }), TypeError);
      }
      assert.deepEqual(session.names(), [], 'a refused setData changes nothing');
    });

    it('names starting with @ are reserved', async () => {
      const { m } = setup();
      const { session } = await new Client().open(m);
      assert.throws(() => session.set('@x', 1), /reserved/);
      assert.throws(() => session.setData({ '@x': 1 }), TypeError);
      session.setIdlingTimeout(600);
      assert.equal(session.has('@timeouts'), false);
      assert.equal(session.get('@timeouts'), undefined);
      assert.deepEqual(session.names(), []);
    });

    it('a __proto__ key round-trips as data without polluting prototypes', async () => {
      const { m } = setup();
      const client = new Client();
      await visit(client, m, async (s) => {
        s.set('__proto__', { polluted: true });
        assert.deepEqual(s.names(), ['__proto__']);
        await s.save();
      });
      const { session } = await client.open(m);
      assert.equal(session.isNew, false);
      assert.deepEqual(session.get('__proto__'), { polluted: true });
      assert.equal(session.has('__proto__'), true);
      const data = session.getData();
      assert.equal(Object.getPrototypeOf(data), Object.prototype);
      assert.ok(Object.hasOwn(data, '__proto__'));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal((data as Record<string, unknown>).polluted, undefined);
    });

    it('a typed manager types the attributes', async () => {
      const b = bed(kind.options());
      const typed = b.manager<{ visits: number }>();
      const client = new Client();
      for (let i = 1; i <= 3; i++) {
        await visit(client, typed, async (s) => {
          const visits: number | undefined = s.get('visits');
          s.set('visits', (visits ?? 0) + 1);
          await s.save();
        });
      }
      const { session } = await client.open(typed);
      assert.equal(session.get('visits'), 3);
      // Compile-time checks (npm test type-checks this file): wrong types are rejected.
      const misuse = (s: Session<{ visits: number }>): void => {
        // @ts-expect-error a string is not a number
        s.set('visits', 'three');
        // @ts-expect-error not an attribute of the Data type
        s.get('visitz');
      };
      assert.equal(typeof misuse, 'function');
    });

    it('isNew stays true for a session created by this request, even after save, until the cookie comes back', async () => {
      const { m } = setup();
      const client = new Client();
      await visit(client, m, async (s) => {
        assert.equal(s.isNew, true);
        assert.equal(s.state, 'new');
        await s.save();
        assert.equal(s.isNew, true);
        assert.equal(s.state, 'open');
      });
      await visit(client, m, (s) => {
        assert.equal(s.isNew, false);
        assert.equal(s.state, 'open');
      });
    });

    it('every save mints a new id, and a response carries one Set-Cookie per name', async () => {
      const { m } = setup();
      const client = new Client();
      const ids: string[] = [];
      const first = await visit(client, m, async (s) => {
        await s.save();
        ids.push(s.id);
        await s.save();
        ids.push(s.id);
      });
      assert.equal(first.lines.filter((l) => l.startsWith('session=')).length, 1);
      await visit(client, m, async (s) => {
        assert.equal(s.id, ids[1]);
        await s.save();
        ids.push(s.id);
      });
      assert.equal(new Set(ids).size, 3);
      assert.ok(ids.every((id) => /^[A-Za-z0-9_-]{43}$/.test(id)));
    });

    it('regenerate keeps the data and creation time under a new id', async () => {
      const { b, m } = setup();
      const client = await saved(m, { role: 'guest' });
      const before = client.clone();
      b.clock.set(T0 + 100);
      const { result } = await visit(client, m, async (s) => {
        const old = s.id;
        s.set('role', 'admin');
        await s.regenerate();
        assert.notEqual(s.id, old);
        assert.equal(s.creationTime, T0);
        assert.equal(s.state, 'open');
        return s.id;
      });
      const { session } = await client.clone().open(m);
      assert.equal(session.id, result);
      assert.deepEqual(session.getData(), { role: 'admin' });
      assert.equal(session.creationTime, T0);
      if (kind.memory) {
        // No stale window: the pre-login cookie is dead at once.
        b.invalid.take();
        assert.equal(await reads(m, before), undefined);
        assert.deepEqual(b.invalid.take().map((e) => e.reason), ['not-found']);
      }
    });

    it('logout with two audiences removes only the current one and closes the session', async () => {
      const { b, m } = setup({ audience: 'app1' });
      const app2 = b.manager({ audience: 'app2' });
      const client = await saved(m, { one: 1 });
      await visit(client, app2, async (s) => {
        assert.equal(s.isNew, true);
        s.set('two', 2);
        await s.save();
      });
      const old = client.clone();
      const { lines } = await visit(client, app2, async (s) => {
        assert.deepEqual(s.getData(), { two: 2 });
        await s.logout();
        assert.equal(s.state, 'closed');
        assert.throws(() => s.get('two'), closedError);
      });
      assert.equal(isExpiry(lineFor(lines, 'session')), false, 'the cookie is re-issued, not deleted');
      assert.deepEqual(await reads(m, client), { one: 1 });
      assert.equal(await reads(app2, client), undefined);
      if (kind.memory) assert.equal(await reads(m, old), undefined, 'the pre-logout record is gone');
    });

    it('logout of the last audience destroys the session', async () => {
      const { m } = setup();
      const client = await saved(m, { one: 1 });
      const old = client.clone();
      const { lines } = await visit(client, m, (s) => s.logout());
      assert.deepEqual(lines, ['session=; Path=/; SameSite=Lax; HttpOnly; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0']);
      assert.equal(client.jar.size, 0);
      if (kind.memory) assert.equal(await reads(m, old), undefined);
    });

    it('destroy expires the session, chunk and remember cookies, and deletes the stored records', async () => {
      const { b, m } = setup({ remember: true, rememberSafety: 'low', compressionThreshold: 0, cookie: { maxSize: 36_864 } });
      const client = await saved(m, { blob: incompressible(8800) });
      const names = [...client.jar.keys()];
      assert.deepEqual(names, kind.memory ? ['session', 'remember'] : ['session', 'session2', 'session3', 'remember', 'remember2', 'remember3']);
      const stolen = client.clone();
      b.clock.set(T0 + 10);
      const { lines } = await visit(client, m, async (s) => {
        await s.destroy();
        assert.equal(s.state, 'closed');
      });
      assert.deepEqual(lines.map((l) => l.split('=', 1)[0]), names);
      assert.ok(lines.every(isExpiry));
      assert.equal(client.jar.size, 0);
      if (kind.memory) {
        // Neither the session cookie nor the remember cookie opens any more.
        assert.equal(await reads(m, stolen), undefined);
        stolen.jar.delete('session');
        assert.equal(await reads(m, stolen), undefined);
      }
    });

    it('any use after destroy, logout or close throws SESSION_CLOSED', async () => {
      const { m } = setup();
      const client = await saved(m, { a: 1 });
      const ends: Array<(s: Session) => void | Promise<void>> = [(s) => s.destroy(), (s) => s.logout(), (s) => s.close()];
      for (const end of ends) {
        const { session } = await client.clone().open(m);
        await end(session);
        assert.equal(session.state, 'closed');
        for (const use of [
          () => session.get('a'),
          () => session.set('a', 2),
          () => session.has('a'),
          () => session.names(),
          () => session.getData(),
          () => session.touch(),
          () => session.setSubject('x'),
          () => session.setRemember(true),
        ]) {
          assert.throws(use, closedError);
        }
        for (const use of [() => session.save(), () => session.refresh(), () => session.regenerate(), () => session.destroy(), () => session.logout()]) {
          await assert.rejects(use, (e: unknown) => e instanceof SessionError && e.code === 'SESSION_CLOSED');
        }
      }
    });

    it('enforceSameSubject drops the audiences of another subject on save', async () => {
      for (const enforce of [true, false]) {
        const { b, m } = setup({ audience: 'app1', subject: 'alice' });
        const app2 = b.manager({ audience: 'app2', enforceSameSubject: enforce });
        const client = await saved(m, { one: 1 });
        await visit(client, app2, async (s) => {
          s.setSubject('bob');
          s.set('two', 2);
          await s.save();
        });
        assert.deepEqual(await reads(m, client), enforce ? undefined : { one: 1 });
        assert.deepEqual(await reads(app2, client), { two: 2 });
      }
    });

    it('setAudience renames the entry and drops one that already had that audience', async () => {
      const { b, m } = setup({ audience: 'app1' });
      const app2 = b.manager({ audience: 'app2' });
      const client = await saved(m, { mine: 1 });
      await visit(client, app2, async (s) => {
        s.set('theirs', 2);
        await s.save();
      });
      await visit(client, m, async (s) => {
        s.setAudience('app2');
        assert.equal(s.audience, 'app2');
        await s.save();
      });
      assert.equal(await reads(m, client), undefined);
      assert.deepEqual(await reads(app2, client), { mine: 1 });
    });

    it('responseHeaders sets Session-Id and Session-Timeout on save and start', async () => {
      const { b, m } = setup({ responseHeaders: ['id', 'timeout'] });
      const client = new Client();
      const first = await visit(client, m, async (s, x) => {
        assert.equal(x.headers.get('Session-Id'), null, 'nothing before the session exists');
        await s.save();
        assert.equal(x.headers.get('Session-Id'), s.id);
        assert.equal(x.headers.get('Session-Timeout'), '900');
        return s.id;
      });
      b.clock.set(T0 + 50); // within touchThreshold: start() sends no cookie, only the headers
      const x = await client.open(m, 'start');
      assert.deepEqual(x.setCookies(), []);
      assert.equal(x.headers.get('Session-Id'), first.result);
      assert.equal(x.headers.get('Session-Timeout'), '850');
    });

    it('setHeaders(...) sets the properties on the request and the response', async () => {
      const { m } = setup({ subject: 'ada', audience: 'shop' });
      const { session, request, headers } = await new Client().open(m);
      session.setHeaders('subject', 'audience');
      for (const h of [request.headers, headers]) {
        assert.equal(h.get('Session-Subject'), 'ada');
        assert.equal(h.get('Session-Audience'), 'shop');
      }
    });

    it('clearRequestCookie removes the session, chunk and remember cookies and keeps the others', async () => {
      const { m } = setup();
      const client = new Client('a=1; session=xxx; b=2; session2=yyy; session3=zzz; c=3; remember=www; remember2=vvv; sessions=keep');
      const { session, request } = await client.open(m);
      assert.equal(session.clearRequestCookie(), 'a=1; b=2; c=3; sessions=keep');
      assert.equal(request.headers.get('cookie'), 'a=1; b=2; c=3; sessions=keep');
      const only = await new Client('session=x; session2=y').open(m);
      assert.equal(only.session.clearRequestCookie(), undefined);
      assert.equal(only.request.headers.get('cookie'), null);
    });
  });
}

describe('session lifecycle (cookie storage only)', () => {
  it('a session shrinking from 3 chunks to 1 expires session2 and session3', async () => {
    const b = bed({ compressionThreshold: 0, cookie: { maxSize: 36_864 } });
    const m = b.manager();
    const client = await saved(m, { blob: incompressible(9000) });
    assert.deepEqual([...client.jar.keys()], ['session', 'session2', 'session3']);
    const { lines } = await visit(client, m, async (s) => {
      assert.equal((s.get('blob') as string).length, 9000);
      s.set('blob', 'small');
      await s.save();
    });
    assert.equal(isExpiry(lineFor(lines, 'session')), false);
    assert.ok(isExpiry(lineFor(lines, 'session2')));
    assert.ok(isExpiry(lineFor(lines, 'session3')));
    assert.ok(lineFor(lines, 'session2')!.includes('; Max-Age=0'));
    assert.deepEqual([...client.jar.keys()], ['session']);
    assert.deepEqual(await reads(m, client), { blob: 'small' });
  });

  it('a session too large for 9 cookies rejects with SESSION_TOO_LARGE and writes nothing', async () => {
    const b = bed({ compressionThreshold: 0, cookie: { maxSize: 36_864 } });
    const m = b.manager();
    const { session, headers } = await new Client().open(m);
    session.set('blob', incompressible(30_000));
    await assert.rejects(session.save(), (e: unknown) => isSessionError(e, 'SESSION_TOO_LARGE'));
    assert.deepEqual(headers.getSetCookie(), []);
    session.set('blob', incompressible(20_000));
    await session.save();
    assert.equal(headers.getSetCookie().length, 7);
  });
});

describe('session lifecycle (memoryStorage() only)', () => {
  it('a save keeps the replaced record readable for staleTtl seconds, then not', async () => {
    const b = bed({ storage: memoryStorage() });
    const m = b.manager();
    const client = await saved(m, { v: 1 });
    const old = client.clone();
    b.clock.set(T0 + 100);
    await visit(client, m, async (s) => {
      s.set('v', 2);
      await s.save();
    });
    b.clock.set(T0 + 109);
    assert.deepEqual(await reads(m, old), { v: 1 });
    assert.deepEqual(await reads(m, client), { v: 2 });
    b.clock.set(T0 + 110);
    b.invalid.take();
    assert.equal(await reads(m, old), undefined);
    assert.deepEqual(b.invalid.take(), [{ reason: 'not-found', cookie: 'session', detail: 'unable to load session' }]);
    assert.deepEqual(await reads(m, client), { v: 2 });
  });

  it('a failing store write rejects with STORAGE_ERROR naming the store, writes no cookie, and keeps the old session', async () => {
    const inner = memoryStorage();
    const b = bed({ storage: inner });
    const good = b.manager();
    const boom = new Error('connection reset');
    const flaky: Storage = {
      name: 'flaky',
      get: (namespace, key, now) => inner.get(namespace, key, now),
      set: async () => {
        throw boom;
      },
      delete: (namespace, key, now, metadata) => inner.delete(namespace, key, now, metadata),
    };
    const bad = b.manager({ storage: flaky });
    const client = await saved(good, { v: 1 });
    b.clock.set(T0 + 100);
    for (const c of [client, new Client()]) {
      const { session, headers } = await c.clone().open(bad);
      session.set('v', 2);
      await assert.rejects(session.save(), (e: unknown) => {
        assert.ok(isSessionError(e, 'STORAGE_ERROR'));
        assert.equal(e.storage, 'flaky');
        assert.match(e.message, /flaky/);
        assert.equal(e.cause, boom);
        return true;
      });
      assert.deepEqual(headers.getSetCookie(), []);
    }
    assert.deepEqual(await reads(good, client), { v: 1 });
  });
});
