/**
 * The storage conformance suite: one list of cases that every store in this repository runs, and that a
 * third-party store can run with any test runner.
 *
 * The cases use the real clock (stores such as Redis expire records on their own clock) and TTLs of one or
 * two seconds, so the whole suite takes a few seconds.
 *
 * @example
 * import { describe, it } from 'node:test';
 * import { storageConformance } from 'httpsession/testing';
 * describe('my store', () => {
 *   for (const c of storageConformance({ name: 'mine', create: (prefix) => myStorage({ prefix }) })) it(c.name, c.run);
 * });
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import type { Storage, StorageMetadata, StorageSetResult } from '../storage/types.ts';

/** How the suite makes stores. */
export interface ConformanceOptions {
  /** The store's `name`, expected in its errors. */
  readonly name: string;
  /**
   * Makes a fresh store. Two stores made with different `prefix` values must not see each other's
   * records; the suite passes a random prefix per case so that cases do not interfere.
   */
  create(prefix: string): Storage | Promise<Storage>;
  /**
   * Makes a store whose backend is unreachable or failing, to check the typed error; omit to skip
   * that case.
   */
  createBroken?(): Storage | Promise<Storage>;
  /**
   * Require `set` to report whether the replaced record was live (a {@link StorageSetResult} whenever
   * `oldKey` is given and differs from `key`). Default `false`: a store whose `set` resolves to
   * `undefined` passes, since the session then reads the old record itself; a result it does return is
   * checked either way.
   */
  readonly reportsOldKeyLive?: boolean | undefined;
}

/** One case: a name and a function that rejects on failure. */
export interface ConformanceCase {
  /** What the case checks, for the test's title. */
  readonly name: string;
  /** Runs the case against the store; rejects with an assertion error when the store misbehaves. */
  run(): Promise<void>;
}

const NS = 'session';
const now = (): number => Math.floor(Date.now() / 1000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh 43-character storage key. */
function key(): string {
  return b64url(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

function prefix(): string {
  return `t${b64url(globalThis.crypto.getRandomValues(new Uint8Array(6))).replace(/[-_]/g, 'x')}`;
}

function fail(message: string): never {
  throw new Error(message);
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) {
    const show = (v: unknown): string => (typeof v === 'string' && v.length > 60 ? `a string of length ${v.length}` : JSON.stringify(v));
    fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

async function rejects(promise: Promise<unknown>, what: string, check?: (err: unknown) => void): Promise<void> {
  try {
    await promise;
  } catch (err) {
    check?.(err);
    return;
  }
  fail(`${what}: expected a rejection`);
}

const meta = (audience: string, subject: string): StorageMetadata => ({
  audiences: [b64url(encoder.encode(audience))],
  subjects: [b64url(encoder.encode(subject))],
});

/**
 * The conformance cases for a store.
 * @param options - how to create the store under test
 * @returns the cases, to register with any test runner
 */
export function storageConformance(options: ConformanceOptions): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  /** Checks what a `set` with `oldKey` resolved to against whether the old record was live. */
  const reported = (result: void | StorageSetResult, expected: boolean, what: string): void => {
    if (result === undefined) {
      if (options.reportsOldKeyLive === true) fail(`${what}: expected a StorageSetResult, got undefined`);
      return;
    }
    equal(typeof result === 'object' && result !== null ? result.oldKeyLive : result, expected, `${what}: oldKeyLive`);
  };
  const add = (name: string, body: (store: Storage) => Promise<void>): void => {
    cases.push({
      name,
      async run() {
        const store = await options.create(prefix());
        try {
          await body(store);
        } finally {
          await store.close?.();
        }
      },
    });
  };

  add('a missing key reads as null', async (s) => {
    equal(await s.get(NS, key(), now()), null, 'get of a missing key');
  });

  add('deleting a missing key is a no-op', async (s) => {
    await s.delete(NS, key(), now());
  });

  for (const size of [0, 4096, 1 << 20]) {
    add(`set/get round trip of ${size} bytes`, async (s) => {
      const k = key();
      const value = size === 0 ? '' : '["' + 'x'.repeat(size - 4) + '"]';
      await s.set({ namespace: NS, key: k, value, ttl: 60, now: now() });
      equal(await s.get(NS, k, now()), value, 'value read back');
    });
  }

  add('set overwrites', async (s) => {
    const k = key();
    await s.set({ namespace: NS, key: k, value: '["one"]', ttl: 60, now: now() });
    await s.set({ namespace: NS, key: k, value: '["two"]', ttl: 60, now: now() });
    equal(await s.get(NS, k, now()), '["two"]', 'value after overwrite');
  });

  add('delete removes a record', async (s) => {
    const k = key();
    await s.set({ namespace: NS, key: k, value: '["x"]', ttl: 60, now: now() });
    await s.delete(NS, k, now());
    equal(await s.get(NS, k, now()), null, 'value after delete');
  });

  add('namespaces and prefixes isolate records', async (s) => {
    const k = key();
    await s.set({ namespace: NS, key: k, value: '["session"]', ttl: 60, now: now() });
    equal(await s.get('remember', k, now()), null, 'same key in another namespace');
    const other = await options.create(prefix());
    try {
      equal(await other.get(NS, k, now()), null, 'same key in a store with another prefix');
      await other.set({ namespace: NS, key: k, value: '["other"]', ttl: 60, now: now() });
      equal(await s.get(NS, k, now()), '["session"]', 'first store keeps its record');
    } finally {
      await other.close?.();
    }
  });

  add('invalid keys are refused before any I/O', async (s) => {
    const bad = ['', 'a'.repeat(42), 'a'.repeat(44), `../${'a'.repeat(40)}`, `${'a'.repeat(42)}/`, `${'a'.repeat(42)}:`, `${'a'.repeat(42)}\n`, `${'a'.repeat(42)}*`];
    for (const k of bad) {
      await rejects(s.get(NS, k, now()), `get with key ${JSON.stringify(k.slice(0, 8))}`);
      await rejects(s.set({ namespace: NS, key: k, value: '[""]', ttl: 60, now: now() }), 'set with an invalid key');
      await rejects(s.delete(NS, k, now()), 'delete with an invalid key');
    }
    await rejects(s.get('a/b', key(), now()), 'get with a namespace containing "/"');
  });

  add('records expire after their TTL', async (s) => {
    const k = key();
    // The write and the first read share one time: with whole seconds and a 1 s TTL, a read a moment
    // later on a loaded machine may fall in the next second, where the record has rightly expired.
    const t = now();
    await s.set({ namespace: NS, key: k, value: '["x"]', ttl: 1, now: t });
    equal(await s.get(NS, k, t), '["x"]', 'value before its TTL');
    await sleep(2100);
    equal(await s.get(NS, k, now()), null, 'value after its TTL');
  });

  add('a replaced record stays readable for the stale TTL, never longer than its own TTL', async (s) => {
    const old = key();
    const fresh = key();
    const short = key();
    // Writes and immediate reads share one time, as in the case above.
    const t = now();
    await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 60, now: t });
    reported(await s.set({ namespace: NS, key: fresh, value: '["new"]', ttl: 60, now: t, oldKey: old, staleTtl: 1 }), true, 'a live old record');
    equal(await s.get(NS, old, t), '["old"]', 'old record within the stale TTL');
    // A record with less time left than the stale TTL is not extended, and is live all the same (Redis's
    // EXPIRE ... LT answers 0 for it, as for a missing key).
    await s.set({ namespace: NS, key: short, value: '["short"]', ttl: 1, now: t });
    const result = await s.set({ namespace: NS, key: key(), value: '["x"]', ttl: 60, now: t, oldKey: short, staleTtl: 30 });
    reported(result, true, 'an old record expiring sooner than the stale TTL');
    await sleep(2100);
    equal(await s.get(NS, old, now()), null, 'old record after the stale TTL');
    equal(await s.get(NS, short, now()), null, 'a record is never extended by the stale TTL');
    equal(await s.get(NS, fresh, now()), '["new"]', 'new record');
    reported(await s.set({ namespace: NS, key: key(), value: '["y"]', ttl: 60, now: now(), oldKey: short, staleTtl: 30 }), false, 'an expired old record');
    equal(await s.get(NS, short, now()), null, 'an expired record is not brought back by the stale TTL');
  });

  add('set reports whether the replaced record was live: deleted, missing, already shortened', async (s) => {
    const save = (oldKey: string, staleTtl: number): Promise<void | StorageSetResult> =>
      s.set({ namespace: NS, key: key(), value: '["new"]', ttl: 60, now: now(), oldKey, staleTtl });
    const deleted = key();
    await s.set({ namespace: NS, key: deleted, value: '["d"]', ttl: 60, now: now() });
    await s.delete(NS, deleted, now());
    reported(await save(deleted, 10), false, 'an old record deleted before the set');
    reported(await save(key(), 10), false, 'an old key that never existed');
    // Two requests with the same cookie save one after the other: the second finds the old record
    // already shortened to the stale TTL, and it is still live.
    const shared = key();
    await s.set({ namespace: NS, key: shared, value: '["s"]', ttl: 60, now: now() });
    reported(await save(shared, 10), true, 'the first save replacing a live record');
    reported(await save(shared, 10), true, 'a second save replacing the same record, already shortened');
    reported(await save(shared, 20), true, 'a third save with a longer stale TTL');
    equal(await s.get(NS, shared, now()), '["s"]', 'the old record within the stale TTL');
    // A stale TTL of 0 ends the old record at once; it was live when the new one was written.
    const ended = key();
    await s.set({ namespace: NS, key: ended, value: '["e"]', ttl: 60, now: now() });
    reported(await save(ended, 0), true, 'a live old record ended by a stale TTL of 0');
    equal(await s.get(NS, ended, now()), null, 'an old record after a stale TTL of 0');
    reported(await save(ended, 0), false, 'the same old record, once ended');
  });

  add('metadata lists live sessions of a subject, prunes expired ones and forgets deleted ones', async (s) => {
    if (s.readMetadata === undefined) return;
    const m = meta('shop', 'alice');
    const a = key();
    const b = key();
    const c = key();
    const t = now(); // writes and the first listing share one time (see 'records expire after their TTL')
    await s.set({ namespace: NS, key: a, value: '["a"]', ttl: 60, now: t, metadata: m });
    await s.set({ namespace: NS, key: b, value: '["b"]', ttl: 1, now: t, metadata: m });
    await s.set({ namespace: NS, key: c, value: '["c"]', ttl: 60, now: t, metadata: meta('shop', 'bob') });
    const listed = await s.readMetadata(NS, m.audiences[0]!, m.subjects[0]!, t);
    equal(listed.has(a) && listed.has(b) && !listed.has(c), true, 'alice lists a and b only');
    const exp = listed.get(a)!;
    // Against the time the record was written with, not a later clock reading (a loaded machine lags).
    equal(Math.abs(exp - (t + 60)) <= 2, true, 'expiry of a is about its write time + 60');
    await sleep(2100);
    const later = await s.readMetadata(NS, m.audiences[0]!, m.subjects[0]!, now());
    equal(later.has(a) && !later.has(b), true, 'the expired entry is pruned');
    await s.delete(NS, a, now(), m);
    const afterDelete = await s.readMetadata(NS, m.audiences[0]!, m.subjects[0]!, now());
    equal(afterDelete.has(a), false, 'the deleted entry is gone');
  });

  add('metadata moves from the old key to the new one on re-save', async (s) => {
    if (s.readMetadata === undefined) return;
    const m = meta('shop', 'carol');
    const old = key();
    const fresh = key();
    await s.set({ namespace: NS, key: old, value: '["1"]', ttl: 60, now: now(), metadata: m });
    await s.set({ namespace: NS, key: fresh, value: '["2"]', ttl: 60, now: now(), oldKey: old, staleTtl: 10, metadata: m });
    const listed = await s.readMetadata(NS, m.audiences[0]!, m.subjects[0]!, now());
    equal(listed.has(fresh), true, 'the new key is listed');
    equal(listed.has(old), false, 'the old key is not listed');
  });

  // Compare-and-set (stores with getRecord): the successor tokens a save leaves on the record it
  // replaces, the claim, and the delete that reports them.
  const token = (): string => b64url(globalThis.crypto.getRandomValues(new Uint8Array(138)));
  const successorsOf = async (s: Storage, k: string, at = now()): Promise<readonly string[] | null> => {
    const r = await s.getRecord!(NS, k, at);
    return r === null ? null : r.successors;
  };

  add('compare-and-set: a save leaves its successor token on the record it replaces, for as long as that record lives', async (s) => {
    if (s.getRecord === undefined) return;
    const old = key();
    const t = now();
    await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 60, now: t });
    equal(JSON.stringify(await s.getRecord(NS, old, t)), JSON.stringify({ value: '["old"]', successors: [] }), 'a record nobody replaced');
    const [a, b] = [token(), token()];
    reported(await s.set({ namespace: NS, key: key(), value: '["a"]', ttl: 60, now: t, oldKey: old, staleTtl: 1, successor: a }), true, 'a save leaving a token');
    reported(await s.set({ namespace: NS, key: key(), value: '["b"]', ttl: 60, now: t, oldKey: old, staleTtl: 1, successor: b }), true, 'a second save leaving a token');
    equal(JSON.stringify(await successorsOf(s, old, t)), JSON.stringify([a, b]), 'the tokens, oldest first');
    equal(await s.get(NS, old, t), '["old"]', 'get still reads the value alone');
    equal(await s.getRecord(NS, key(), t), null, 'getRecord of a missing key');
    await sleep(2100);
    equal(await s.getRecord(NS, old, now()), null, 'the replaced record and its tokens after the stale TTL');
  });

  add('compare-and-set: an exclusive save claims a record once; the next one writes nothing and reports a conflict', async (s) => {
    if (s.getRecord === undefined) return;
    const old = key();
    await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 60, now: now() });
    const [first, second] = [key(), key()];
    const won = await s.set({ namespace: NS, key: first, value: '["1"]', ttl: 60, now: now(), oldKey: old, staleTtl: 10, successor: token(), exclusive: true });
    equal(typeof won === 'object' && won !== null && won.conflict !== true && won.oldKeyLive, true, 'the first claim wins');
    const lost = await s.set({ namespace: NS, key: second, value: '["2"]', ttl: 60, now: now(), oldKey: old, staleTtl: 10, successor: token(), exclusive: true });
    equal(typeof lost === 'object' && lost !== null && lost.conflict === true, true, 'the second claim conflicts');
    equal(await s.get(NS, second, now()), null, 'the losing record is not stored');
    equal(await s.get(NS, first, now()), '["1"]', 'the winning record is stored');
    equal((await successorsOf(s, old))?.length, 1, 'the claimed record holds one token');
    // Many at once: exactly one claim of a fresh record wins.
    const shared = key();
    await s.set({ namespace: NS, key: shared, value: '["s"]', ttl: 60, now: now() });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => s.set({ namespace: NS, key: key(), value: '["x"]', ttl: 60, now: now(), oldKey: shared, staleTtl: 10, successor: token(), exclusive: true })),
    );
    equal(results.filter((r) => typeof r === 'object' && r !== null && r.conflict !== true).length, 1, 'concurrent claims that win');
    // A claim of a deleted record writes nothing and says it is gone.
    const gone = key();
    const after = key();
    const r = await s.set({ namespace: NS, key: after, value: '["g"]', ttl: 60, now: now(), oldKey: gone, staleTtl: 10, successor: token(), exclusive: true });
    equal(typeof r === 'object' && r !== null && r.oldKeyLive === false && r.conflict !== true, true, 'a claim of a missing record');
  });

  add('compare-and-set: delete reports the deleted record\'s successor tokens', async (s) => {
    if (s.getRecord === undefined) return;
    const old = key();
    await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 60, now: now() });
    const a = token();
    await s.set({ namespace: NS, key: key(), value: '["a"]', ttl: 60, now: now(), oldKey: old, staleTtl: 10, successor: a });
    const deleted = await s.delete(NS, old, now());
    equal(JSON.stringify(typeof deleted === 'object' && deleted !== null ? deleted.successors : undefined), JSON.stringify([a]), 'the tokens of the deleted record');
    equal(await s.getRecord(NS, old, now()), null, 'the deleted record');
    const none = await s.delete(NS, key(), now());
    equal(JSON.stringify(typeof none === 'object' && none !== null ? none.successors : undefined), '[]', 'delete of a missing key');
    // A record written again under its key starts with no successors.
    await s.set({ namespace: NS, key: old, value: '["again"]', ttl: 60, now: now() });
    equal(JSON.stringify(await successorsOf(s, old)), '[]', 'a record written again');
  });

  add('50 concurrent sets to distinct keys all persist', async (s) => {
    const keys = Array.from({ length: 50 }, key);
    await Promise.all(keys.map((k, i) => s.set({ namespace: NS, key: k, value: `["${i}"]`, ttl: 60, now: now() })));
    const values = await Promise.all(keys.map((k) => s.get(NS, k, now())));
    values.forEach((v, i) => equal(v, `["${i}"]`, `record ${i}`));
  });

  add('close() is idempotent', async (s) => {
    await s.close?.();
    await s.close?.();
  });

  if (options.createBroken !== undefined) {
    const createBroken = options.createBroken;
    cases.push({
      name: 'a failing backend rejects with a typed storage error naming the store, cause chained',
      async run() {
        const s = await createBroken();
        try {
          const check = (err: unknown): void => {
            if (!(err instanceof SessionError)) fail(`expected a SessionError, got ${String(err)}`);
            equal(err.code, 'STORAGE_ERROR', 'error code');
            equal(err.storage, options.name, 'error storage name');
            equal(err.cause !== undefined, true, 'error has a cause');
          };
          await rejects(s.get(NS, key(), now()), 'get on a failing backend', check);
          await rejects(s.set({ namespace: NS, key: key(), value: '["x"]', ttl: 60, now: now() }), 'set on a failing backend', check);
          await rejects(s.delete(NS, key(), now()), 'delete on a failing backend', check);
        } finally {
          await s.close?.();
        }
      },
    });
  }
  return cases;
}
