/**
 * What a save asks of a server-side store. A store whose `set` reports `oldKeyLive` (the bundled ones) is
 * trusted: one `set` per save, no read-back. A store that resolves `set` to `undefined` (one written
 * before `StorageSetResult`) still gets the resurrection check, through one `get` of the replaced record.
 * Either way a save whose replaced record vanished is refused and its new record withdrawn.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSessionManager } from '../../src/index.ts';
import { isSessionError } from '../../src/errors.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { cookieHeaderOf, countingStorage, fakeNode, LONG_SECRET, quietLogger } from '../helpers/http.ts';

/** A store like those written before `StorageSetResult`: `set` resolves to nothing. */
function legacy(inner: Storage): Storage {
  return {
    name: 'legacy',
    get: (namespace, key, now) => inner.get(namespace, key, now),
    async set(input) {
      await inner.set(input);
    },
    delete: (namespace, key, now, metadata) => inner.delete(namespace, key, now, metadata),
  };
}

async function setup(wrap: (s: Storage) => Storage) {
  const inner = memoryStorage();
  const { storage, calls } = countingStorage(wrap(inner));
  const clock = fixedClock(1_700_000_000);
  const sessions = createSessionManager<{ n: number }>({ secret: LONG_SECRET, storage, now: clock.now, logger: quietLogger, cookie: { secure: false } });
  const first = fakeNode();
  const s = await sessions.open(first.req, first.res);
  s.set('n', 1);
  await s.save();
  return { inner, calls, sessions, cookie: cookieHeaderOf(first.setCookies()) };
}

describe('save: the resurrection check and the store round trips', () => {
  for (const [name, wrap, getsPerSave] of [
    ['a store reporting oldKeyLive (memory)', (s: Storage) => s, 0],
    ['a store whose set resolves to undefined', legacy, 1],
  ] as const) {
    it(`${name}: a re-save costs one set and ${getsPerSave} get(s) beyond the open`, async () => {
      const { calls, sessions, cookie } = await setup(wrap);
      const before = { ...calls };
      const pair = fakeNode(cookie);
      const s = await sessions.open(pair.req, pair.res);
      s.set('n', 2);
      await s.save();
      assert.equal(calls.set - before.set, 1);
      assert.equal(calls.get - before.get, 1 + getsPerSave, 'the open reads the record; the save reads it back only for a store that cannot tell');
      assert.equal(calls.delete - before.delete, 0);
    });

    it(`${name}: a save whose replaced record was destroyed meanwhile is refused and leaves nothing`, async () => {
      const { inner, sessions, cookie } = await setup(wrap);
      const a = fakeNode(cookie);
      const sa = await sessions.open(a.req, a.res);
      const b = fakeNode(cookie);
      await (await sessions.open(b.req, b.res)).destroy();
      sa.set('n', 3);
      await assert.rejects(sa.save(), (err: unknown) => isSessionError(err, 'SESSION_REVOKED'));
      assert.deepEqual(a.setCookies(), [], 'no cookie for the refused save');
      assert.equal(inner.size, 0, 'the new record was withdrawn');
    });
  }
});
