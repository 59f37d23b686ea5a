/**
 * The `schema`, `schemaVersion` and `migrate` options: the data a cookie opens to is validated (zod and
 * valibot, synchronous and asynchronous) before the handler sees it; an old deploy's shape gives a new
 * session with the reason 'schema', or goes through `migrate`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { z } from 'zod';
import type { InvalidCookie } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { bed, Client, SECRET, visit, type Bed } from '../helpers/session.ts';

/** A client holding a cookie saved by `m` with `data` (and whatever `more` does). */
async function savedBy(m: SessionManager, data: Record<string, unknown>, more?: (s: import('../../src/session.ts').Session) => void): Promise<Client> {
  const client = new Client();
  await visit(client, m, async (s) => {
    s.setData(data);
    more?.(s);
    await s.save();
  });
  return client;
}

/** What a manager's handler sees for the client's cookie: its data, or undefined for a new session. */
async function seen(m: SessionManager, client: Client): Promise<Record<string, unknown> | undefined> {
  const { session } = await client.clone().open(m);
  return session.isNew ? undefined : session.getData();
}

const schemaInvalid = (b: Bed): InvalidCookie[] => b.invalid.take().filter((e) => e.reason === 'schema');

const userZod = z.object({ user: z.string(), visits: z.number().int() });
const userValibot = v.object({ user: v.string(), visits: v.pipe(v.number(), v.integer()) });
const VALIDATORS = [
  { name: 'zod', schema: userZod },
  { name: 'valibot', schema: userValibot },
  // Asynchronous: `~standard.validate` returns a promise.
  { name: 'zod, async refinement', schema: userZod.refine(async (d) => d.user !== 'banned', { path: ['user'] }) },
  { name: 'valibot, async check', schema: v.pipeAsync(userValibot, v.checkAsync(async (d) => d.user !== 'banned')) },
] as const;

for (const { name, schema } of VALIDATORS) {
  describe(`schema option (${name})`, () => {
    it('data that matches opens; an old shape gives a new session, reason "schema", naming the path and not the value', async () => {
      const b = bed();
      const old = b.manager();
      const m = b.manager({ schema });
      const good = await savedBy(old, { user: 'ann', visits: 3 });
      assert.deepEqual(await seen(m, good), { user: 'ann', visits: 3 });
      const bad = await savedBy(old, { user: 'ann', visits: 'three-secret-value' });
      assert.equal(await seen(m, bad), undefined);
      const [event, ...more] = schemaInvalid(b);
      assert.deepEqual(more, []);
      assert.equal(event?.cookie, 'session');
      assert.match(event!.detail, /^session data does not match the schema at visits$/);
      assert.doesNotMatch(event!.detail, /three-secret-value/);
      // The handler of the new session starts afresh; saving it replaces the old cookie.
      await visit(bad, m, async (s) => {
        assert.equal(s.isNew, true);
        s.setData({ user: 'ann', visits: 1 });
        await s.save();
      });
      assert.deepEqual(await seen(m, bad), { user: 'ann', visits: 1 });
    });
  });
}

describe('schema option', () => {
  it('an asynchronous refinement that fails gives a new session', async () => {
    for (const { schema } of VALIDATORS.slice(2)) {
      const b = bed();
      const client = await savedBy(b.manager(), { user: 'banned', visits: 1 });
      assert.equal(await seen(b.manager({ schema }), client), undefined);
      assert.equal(schemaInvalid(b).length, 1);
    }
  });

  it("the schema's output is what the handler sees: defaults filled, unknown attributes stripped", async () => {
    const b = bed();
    const m = b.manager({ schema: z.object({ theme: z.string().default('light'), cart: z.array(z.string()).optional() }) });
    const client = await savedBy(b.manager(), { cart: ['apple'], leftover: 'from an old deploy' });
    assert.deepEqual(await seen(m, client), { theme: 'light', cart: ['apple'] });
  });

  it('infers the attribute types from the schema', async () => {
    const b = bed();
    const m = createSessionManager({ secret: SECRET, now: b.clock.now, cookie: { secure: false }, schema: userZod });
    const { session } = await new Client().open(m);
    const visits: number | undefined = session.get('visits');
    // @ts-expect-error: `visits` is a number in the schema
    session.set('visits', 'many');
    assert.equal(visits, undefined);
  });

  it('keeps the reserved attributes (timeouts, remember choice) and the other audiences', async () => {
    const b = bed();
    const other = b.manager({ audience: 'other' });
    const client = await savedBy(b.manager(), { user: 'ann', visits: 1 }, (s) => s.setIdlingTimeout(60).setRemember(false));
    await visit(client, other, async (s) => {
      s.set('theirs', 'kept');
      await s.save();
    });
    const m = b.manager({ schema: userZod });
    await visit(client, m, async (s) => {
      assert.equal(s.timeouts.idling, 60);
      assert.equal(s.remember, false);
      s.set('visits', 2);
      await s.save();
    });
    assert.deepEqual(await seen(other, client), { theirs: 'kept' });
    assert.equal((await client.clone().open(m)).session.timeouts.idling, 60);
  });

  it("data that fails drops only this audience's entry: the other audiences sharing the cookie keep theirs", async () => {
    const b = bed();
    const other = b.manager({ audience: 'other' });
    const client = await savedBy(b.manager(), { user: 'ann', visits: 'x' });
    await visit(client, other, async (s) => {
      s.set('theirs', 'kept');
      await s.save();
    });
    const m = b.manager({ schema: userZod });
    await visit(client, m, async (s) => {
      assert.equal(s.isNew, true);
      assert.deepEqual(s.getData(), {});
      s.setData({ user: 'ann', visits: 1 });
      await s.save();
    });
    assert.equal(schemaInvalid(b).length, 1);
    assert.deepEqual(await seen(other, client), { theirs: 'kept' });
    assert.deepEqual(await seen(m, client), { user: 'ann', visits: 1 });
  });

  it('an output that does not survive JSON (a transform to Date) is refused as "schema"', async () => {
    const b = bed();
    const m = b.manager({ schema: z.object({ at: z.string().transform((s) => new Date(s)) }) });
    const client = await savedBy(b.manager(), { at: '2026-01-01T00:00:00Z' });
    assert.equal(await seen(m, client), undefined);
    assert.match(schemaInvalid(b)[0]!.detail, /"at" does not survive JSON/);
  });

  it('validates the data a remember cookie restores', async () => {
    const b = bed({ remember: true, rememberSafety: 'low' });
    const client = await savedBy(b.manager(), { user: 'ann', visits: 'x' });
    client.jar.delete('session');
    assert.equal(await seen(b.manager({ schema: userZod }), client), undefined);
    assert.deepEqual(schemaInvalid(b).map((e) => e.cookie), ['remember']);
    const fine = await savedBy(b.manager(), { user: 'ann', visits: 2 });
    fine.jar.delete('session');
    assert.deepEqual(await seen(b.manager({ schema: userZod }), fine), { user: 'ann', visits: 2 });
  });

  it('works with server-side storage', async () => {
    const b = bed({ storage: memoryStorage() });
    const client = await savedBy(b.manager(), { user: 'ann', visits: 'x' });
    assert.equal(await seen(b.manager({ schema: userZod }), client), undefined);
    assert.equal(schemaInvalid(b).length, 1);
  });

  it('a new session is not validated (it has no data yet)', async () => {
    const b = bed();
    const { session } = await new Client().open(b.manager({ schema: userZod }));
    assert.equal(session.isNew, true);
    assert.deepEqual(b.invalid.take(), []);
  });
});

describe('schemaVersion and migrate', () => {
  const v2 = z.object({ first: z.string(), last: z.string() });
  const migrate = (data: Record<string, unknown>, version: number): unknown => {
    if (version < 2 && typeof data.name === 'string') {
      const [first = '', last = ''] = data.name.split(' ');
      return { first, last };
    }
    return undefined;
  };

  it('a session saved under an older version goes through migrate, then the schema; its next save records the new version', async () => {
    const b = bed();
    const versions: number[] = [];
    const deploy1 = b.manager({ schemaVersion: 1 });
    const deploy2 = b.manager({ schemaVersion: 2, schema: v2, migrate: (d, n) => (versions.push(n), migrate(d, n)) });
    const unversioned = await savedBy(b.manager(), { name: 'Ann Lee' });
    const client = await savedBy(deploy1, { name: 'Bob Ray' });
    assert.deepEqual(await seen(deploy2, unversioned), { first: 'Ann', last: 'Lee' });
    await visit(client, deploy2, async (s) => {
      assert.deepEqual(s.getData(), { first: 'Bob', last: 'Ray' });
      assert.equal(s.isModified, true, 'a migrated session is modified');
      assert.equal(await s.commit(), 'saved');
    });
    // Opened under the current version: not modified, a commit writes nothing.
    await visit(client, deploy2, async (s) => {
      assert.equal(s.isModified, false);
      assert.equal(await s.commit(), 'none');
    });
    assert.deepEqual(versions, [0, 1]);
    // Saved under version 2 now: migrate is not called again.
    assert.deepEqual(await seen(deploy2, client), { first: 'Bob', last: 'Ray' });
    assert.deepEqual(versions, [0, 1]);
    assert.deepEqual(b.invalid.take(), []);
  });

  it('migrate may be async; undefined drops the session, a throw too (logged without the data)', async () => {
    const b = bed();
    const logs: unknown[][] = [];
    const logger = { warn: (...args: unknown[]) => void logs.push(args) };
    const client = await savedBy(b.manager(), { name: 'Ann Lee' });
    const asyncDeploy = b.manager({ schemaVersion: 2, schema: v2, migrate: async (d, n) => migrate(d, n) });
    assert.deepEqual(await seen(asyncDeploy, client), { first: 'Ann', last: 'Lee' });
    const dropping = b.manager({ schemaVersion: 2, migrate: () => undefined });
    assert.equal(await seen(dropping, client), undefined);
    assert.deepEqual(schemaInvalid(b).map((e) => e.detail), ['migrate dropped session data of version 0']);
    const throwing = b.manager({
      schemaVersion: 2,
      logger,
      migrate: () => {
        throw new RangeError('bug');
      },
    });
    assert.equal(await seen(throwing, client), undefined);
    assert.deepEqual(schemaInvalid(b).map((e) => e.detail), ['migrate failed']);
    assert.equal(logs.length, 1);
    assert.match(String(logs[0]![0]), /"migrate" failed \(RangeError\); a new session was started/);
    assert.doesNotMatch(String(logs[0]![0]), /Ann/);
  });

  it('data saved under the current version that fails the schema is not migrated', async () => {
    const b = bed();
    let calls = 0;
    const m = b.manager({ schemaVersion: 2, schema: v2, migrate: () => (calls++, { first: 'x', last: 'y' }) });
    const client = await savedBy(m, { first: 'Ann' });
    assert.equal(await seen(m, client), undefined);
    assert.equal(calls, 0);
    assert.equal(schemaInvalid(b).length, 1);
  });

  it('configuration mistakes throw at construction, naming the option', () => {
    const make = (o: SessionOptions) => () => createSessionManager({ secret: SECRET, ...o });
    assert.throws(make({ schema: { parse() {} } as never }), { name: 'TypeError', message: /"schema" expected a Standard Schema v1 validator/ });
    assert.throws(make({ migrate: () => ({}) }), { name: 'TypeError', message: /"migrate" needs "schemaVersion"/ });
    assert.throws(make({ schemaVersion: -1 }), { name: 'RangeError', message: /"schemaVersion" expected an integer/ });
    assert.throws(make({ schemaVersion: 1, migrate: 'no' as never }), { name: 'TypeError', message: /"migrate" expected a function/ });
  });
});
