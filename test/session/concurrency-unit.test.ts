/**
 * Concurrency-safe saves (issue 10) in isolation: successor tokens (sealed, bound to the record they are
 * left on, never accepted when forged), the three-way merge, and the session's paths when the chain is
 * broken: a successor destroyed meanwhile, a token that does not open, a destroy that follows every record
 * saved from the one it deletes. The store is the real memory store (wrapped where a test needs to forge
 * what it returns); the clock is fixed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleCrypto } from '../../src/codec/crypto.ts';
import { mergeEntries, openSuccessor, sealSuccessor, type MergeFunction } from '../../src/concurrency.ts';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { cookieHeaderOf, fakeNode } from '../helpers/http.ts';

const SECRET = 'concurrency-unit-secret-0123456789abcdef';
const NOW = 1_800_000_000;
const HEADER = 'A'.repeat(110);
const OLD_KEY = 'k'.repeat(43);
const macKey = new Uint8Array(32).fill(7);
const random = (n: number): Uint8Array => new Uint8Array(n).fill(3);

describe('successor tokens', () => {
  it('open to the header they were sealed with, for the record they were sealed for only', () => {
    const token = sealSuccessor(nobleCrypto, random, macKey, OLD_KEY, HEADER);
    assert.match(token, /^[A-Za-z0-9_-]{184}$/);
    assert.equal(openSuccessor(nobleCrypto, macKey, OLD_KEY, token), HEADER);
    assert.equal(openSuccessor(nobleCrypto, macKey, 'j'.repeat(43), token), null, 'another record');
    assert.equal(openSuccessor(nobleCrypto, new Uint8Array(32).fill(8), OLD_KEY, token), null, 'another MAC key');
    const flipped = (token[20] === 'A' ? 'B' : 'A') + token.slice(1);
    assert.equal(openSuccessor(nobleCrypto, macKey, OLD_KEY, token.slice(0, 20) + flipped.slice(0, 1) + token.slice(21)), null, 'one character changed');
    assert.equal(openSuccessor(nobleCrypto, macKey, OLD_KEY, token.slice(0, 100)), null, 'truncated');
    assert.equal(openSuccessor(nobleCrypto, macKey, OLD_KEY, '!'.repeat(184)), null, 'not base64url');
  });
});

describe('mergeEntries', () => {
  const entry = (data: Record<string, unknown>, audience = 'app', subject?: string) => (subject === undefined ? { data, audience } : { data, audience, subject });
  const add: MergeFunction<number> = (m, t, b) => (t ?? 0) + (m ?? 0) - (b ?? 0);
  const merge = (base: Record<string, unknown>, mine: Record<string, unknown>, theirs: Record<string, unknown>, fns = {}) =>
    mergeEntries([entry(base)], [entry(mine)], [entry(theirs)], 'app', fns);

  it('keeps what only one side changed, on both sides', () => {
    assert.deepEqual(merge({ a: 1, b: 1, c: 1 }, { a: 2, b: 1 }, { a: 1, b: 3, c: 1, d: 4 }), { entries: [entry({ a: 2, b: 3, d: 4 })] });
  });

  it('calls the merge function of an attribute both changed, even to the same value; without one, equal values merge and different ones conflict', () => {
    assert.deepEqual(merge({ n: 1 }, { n: 2 }, { n: 2 }, { n: add }), { entries: [entry({ n: 3 })] });
    assert.deepEqual(merge({ n: 1 }, { n: 2 }, { n: 2 }), { entries: [entry({ n: 2 })] });
    assert.deepEqual(merge({ n: 1 }, { n: 2 }, { n: 5 }), { conflict: 'n' });
    // undefined from a merge function removes the attribute; its inputs are copies.
    const seen: unknown[] = [];
    const drop: MergeFunction = (m, t, b) => {
      seen.push(m, t, b);
      (m as { x: number }).x = 9;
      return undefined;
    };
    const mine = { o: { x: 1 } };
    assert.deepEqual(merge({ o: { x: 0 } }, mine, { o: { x: 2 } }, { o: drop }), { entries: [entry({})] });
    assert.deepEqual(mine, { o: { x: 1 } });
    assert.deepEqual(seen, [{ x: 9 }, { x: 2 }, { x: 0 }]);
  });

  it('merges the subject three ways and keeps the other audiences as the other request saved them', () => {
    const other = entry({ z: 1 }, 'other');
    const r = mergeEntries([entry({}, 'app', 'u1'), other], [entry({ a: 1 }, 'app', 'u2'), other], [entry({}, 'app', 'u1'), entry({ z: 2 }, 'other')], 'app', {});
    assert.deepEqual(r, { entries: [entry({ a: 1 }, 'app', 'u2'), entry({ z: 2 }, 'other')] });
    assert.deepEqual(mergeEntries([entry({}, 'app', 'u1')], [entry({}, 'app', 'u2')], [entry({}, 'app', 'u3')], 'app', {}), { conflict: '(subject)' });
  });

  it('an audience ended on one side ends unless the other side changed it; one added on one side is kept', () => {
    const other = entry({ z: 1 }, 'other');
    assert.deepEqual(mergeEntries([entry({ a: 1 }), other], [other], [entry({ a: 1 }), other], 'app', {}), { entries: [other] });
    assert.deepEqual(mergeEntries([entry({ a: 1 }), other], [other], [entry({ a: 2 }), other], 'app', {}), { conflict: '(audience ended)' });
    assert.deepEqual(mergeEntries([other], [other, entry({ a: 1 })], [other], 'app', {}), { entries: [other, entry({ a: 1 })] });
    assert.deepEqual(mergeEntries([other], [other], [entry({ a: 1 }), other], 'app', {}), { entries: [entry({ a: 1 }), other] });
    assert.deepEqual(mergeEntries([entry({ a: 1 }), other], [other], [other], 'app', {}), { entries: [other] });
  });
});

describe('the session when the successor chain is broken', () => {
  const manager = (storage: Storage, options: Partial<SessionOptions> = {}) =>
    createSessionManager({ secret: SECRET, storage, now: () => NOW, cookie: { name: 'sid' }, ...options } as SessionOptions);

  /** A saved session's Cookie header. */
  async function saved(sessions: ReturnType<typeof manager>, data: Record<string, unknown>, cookie?: string): Promise<string> {
    const x = fakeNode(cookie);
    const s = await sessions.start(x.req, x.res);
    for (const [k, v] of Object.entries(data)) s.set(k, v);
    await s.save();
    return cookieHeaderOf(x.setCookies());
  }

  it('a destroy deletes every record saved from the one it deletes (last-write-wins), and no cookie of them opens', async () => {
    const store = memoryStorage();
    const sessions = manager(store);
    const first = await saved(sessions, { n: 0 });
    // Three saves from the same cookie (tabs), then one from the second's cookie.
    const a = await saved(sessions, { n: 1 }, first);
    const b = await saved(sessions, { n: 2 }, first);
    await saved(sessions, { n: 3 }, first);
    const d = await saved(sessions, { n: 4 }, b);
    assert.equal(store.size, 5);
    const x = fakeNode(first);
    await (await sessions.start(x.req, x.res)).destroy();
    assert.equal(store.size, 0, 'every record reachable from the destroyed one is gone');
    for (const cookie of [first, a, b, d]) {
      const y = fakeNode(cookie);
      assert.equal((await sessions.start(y.req, y.res)).isNew, true);
    }
  });

  it("'merge': a successor destroyed before the merge reads it makes the save SESSION_REVOKED, writing nothing", async () => {
    const store = memoryStorage();
    const sessions = manager(store, { concurrency: 'merge' });
    const first = await saved(sessions, { n: 0 });
    // Two requests open the session; the first saves, then a third request (with the first's cookie) logs out.
    const x = fakeNode(first);
    const late = await sessions.start(x.req, x.res);
    const second = await saved(sessions, { n: 1 }, first);
    const y = fakeNode(second);
    await (await sessions.start(y.req, y.res)).destroy();
    late.set('m', 1);
    await assert.rejects(late.save(), (err) => isSessionError(err, 'SESSION_REVOKED'));
    assert.deepEqual(x.setCookies(), []);
  });

  it("'merge': a successor token that does not open is a CONFLICT, and an open ignores it", async () => {
    const inner = memoryStorage();
    let forge = false;
    const store: Storage = {
      name: 'forging',
      set: (input) => inner.set(input),
      get: (n, k, now) => inner.get(n, k, now),
      delete: (n, k, now, m) => inner.delete(n, k, now, m),
      async getRecord(n, k, now) {
        const r = await inner.getRecord(n, k, now);
        return r === null || !forge ? r : { value: r.value, successors: ['A'.repeat(184)] };
      },
    };
    const sessions = manager(store, { concurrency: 'merge' });
    const first = await saved(sessions, { n: 0 });
    const x = fakeNode(first);
    const late = await sessions.start(x.req, x.res);
    await saved(sessions, { n: 1 }, first);
    forge = true;
    late.set('m', 1);
    await assert.rejects(late.save(), (err) => isSessionError(err, 'CONFLICT') && /cannot be read/.test(err.message));
    // An open with the old cookie does not follow a token it cannot open: it reads the old record.
    const y = fakeNode(first);
    const s = await sessions.start(y.req, y.res);
    assert.equal(s.isNew, false);
    assert.equal(s.get('n'), 0);
    assert.deepEqual(y.setCookies(), []);
  });

  it("'reject': an open with a cookie whose successor is gone gives a new session (a destroy is not undone)", async () => {
    const store = memoryStorage();
    const invalid: string[] = [];
    const sessions = manager(store, { concurrency: 'reject', onInvalid: (e) => invalid.push(`${e.reason}: ${e.detail}`) });
    const first = await saved(sessions, { n: 0 });
    const second = await saved(sessions, { n: 1 }, first);
    // The successor alone is deleted (as a destroy from a client that held only it would, were the old
    // record not reached): the old record, still within its stale window, must not open.
    await store.delete('__Host-sid', storageKeyOfCookie(second), NOW);
    const z = fakeNode(first);
    assert.equal((await sessions.start(z.req, z.res)).isNew, true);
    assert.deepEqual(invalid, ['not-found: the session was replaced and its successor is gone']);
  });
});

/** The storage key of a server-side cookie: base64url of the 32-byte session id in its header. */
function storageKeyOfCookie(cookieHeader: string): string {
  const value = cookieHeader.slice(cookieHeader.indexOf('=') + 1);
  const bytes = Buffer.from(value, 'base64url');
  return Buffer.from(bytes.subarray(3, 35)).toString('base64url');
}
