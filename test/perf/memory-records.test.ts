/**
 * The memory store's compact records (one flat `<expiresAt>:<value>` string per record, namespaces by
 * number): whatever the value and the clock, a record reads back exactly and expires exactly as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStorage } from '../../src/storage/memory.ts';

const key = (label: string | number): string => {
  const s = String(label);
  return 'k'.repeat(43 - s.length) + s;
};

describe('memoryStorage: compact records', () => {
  it('values read back exactly: colons, digits, unicode, lone surrogates, huge', async () => {
    const storage = memoryStorage();
    const values = ['', ':', '1:2', '123', '-5:x', '1e+21:', 'é€😀', '\ud800', '\u0000', `["${'A'.repeat(110)}"]`, 'x'.repeat(1 << 20)];
    for (const [i, value] of values.entries()) await storage.set({ namespace: 'session', key: key(i), value, ttl: 60, now: 1_700_000_000 });
    for (const [i, value] of values.entries()) assert.equal(await storage.get('session', key(i), 1_700_000_000), value);
  });

  it('expiry is exact for any finite clock: fractions, negative and very large times', async () => {
    for (const now of [0, -1000.25, 1_700_000_000.123, 1e21, 2 ** 53 + 2, -(2 ** 60)]) {
      const storage = memoryStorage();
      const ttl = 0.5;
      await storage.set({ namespace: 'session', key: key(1), value: 'v', ttl, now });
      const end = now + ttl;
      // Live strictly before the end, gone at it (whatever a float can tell apart).
      if (end > now) assert.equal(await storage.get('session', key(1), now), 'v', `now ${now}`);
      assert.equal(await storage.get('session', key(1), end), null, `end ${end}`);
    }
  });

  it('namespaces stay apart, including ones that look like numbers or contain the separator of names', async () => {
    const storage = memoryStorage();
    const namespaces = ['session', 'remember', '0', '1', 'session_1', 'a-b'];
    for (const ns of namespaces) await storage.set({ namespace: ns, key: key(7), value: `in ${ns}`, ttl: 60, now: 0 });
    for (const ns of namespaces) assert.equal(await storage.get(ns, key(7), 0), `in ${ns}`);
    await storage.delete('0', key(7), 0);
    assert.equal(await storage.get('0', key(7), 0), null);
    assert.equal(await storage.get('1', key(7), 0), 'in 1');
    assert.equal(storage.size, namespaces.length - 1);
  });

  it('a stale TTL rewrites the old record: same value, shorter life, same place in the eviction order', async () => {
    const storage = memoryStorage({ maxEntries: 3 });
    await storage.set({ namespace: 'session', key: key('a'), value: 'A', ttl: 3600, now: 0 });
    await storage.set({ namespace: 'session', key: key('b'), value: 'B', ttl: 3600, now: 0 });
    await storage.set({ namespace: 'session', key: key('c'), value: 'C', ttl: 3600, now: 1, oldKey: key('a'), staleTtl: 10 });
    assert.equal(await storage.get('session', key('a'), 10), 'A');
    assert.equal(await storage.get('session', key('a'), 11), null);
    await storage.set({ namespace: 'session', key: key('b'), value: 'B2', ttl: 3600, now: 2, oldKey: key('b'), staleTtl: 10 });
    assert.equal(await storage.get('session', key('b'), 3000), 'B2', 'oldKey === key: the new record keeps its full life');
    // a is gone (read expired), so: c, b. Two more writes evict c, the least recently written.
    await storage.set({ namespace: 'session', key: key('d'), value: 'D', ttl: 3600, now: 3 });
    await storage.set({ namespace: 'session', key: key('e'), value: 'E', ttl: 3600, now: 3 });
    assert.equal(await storage.get('session', key('c'), 3), null);
    assert.deepEqual(
      await Promise.all(['b', 'd', 'e'].map((k) => storage.get('session', key(k), 3))),
      ['B2', 'D', 'E'],
    );
  });

  it('a stale TTL never extends the old record', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: 'session', key: key('old'), value: 'old', ttl: 5, now: 0 });
    await storage.set({ namespace: 'session', key: key('new'), value: 'new', ttl: 3600, now: 1, oldKey: key('old'), staleTtl: 100 });
    assert.equal(await storage.get('session', key('old'), 4), 'old');
    assert.equal(await storage.get('session', key('old'), 5), null);
  });
});

describe('memoryStorage: eviction under churn', () => {
  /** The store's documented eviction, written the obvious way: an array, oldest first. */
  class Reference {
    readonly rows: Array<{ key: string; value: string; expiresAt: number }> = [];
    constructor(readonly max: number) {}
    set(key: string, value: string, ttl: number, now: number, oldKey?: string, staleTtl?: number): void {
      if (oldKey !== undefined) {
        const old = this.rows.find((r) => r.key === oldKey);
        if (old !== undefined) old.expiresAt = Math.min(old.expiresAt, now + (staleTtl ?? 0));
      }
      this.remove(key);
      this.rows.push({ key, value, expiresAt: now + ttl });
      if (this.rows.length <= this.max) return;
      const oldest = this.rows.slice(0, 8);
      for (const r of oldest) if (!(now < r.expiresAt)) this.remove(r.key);
      while (this.rows.length > this.max) this.rows.shift();
    }
    get(key: string, now: number): string | null {
      const r = this.rows.find((x) => x.key === key);
      if (r === undefined) return null;
      if (now < r.expiresAt) return r.value;
      this.remove(key);
      return null;
    }
    remove(key: string): void {
      const i = this.rows.findIndex((r) => r.key === key);
      if (i !== -1) this.rows.splice(i, 1);
    }
  }

  /** A small seeded PRNG (mulberry32), so a failure can be replayed. */
  function prng(seed: number): (max: number) => number {
    let s = seed >>> 0;
    return (max) => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % max;
    };
  }

  for (const max of [1, 2, 3, 8, 9, 20]) {
    it(`agrees with the reference over 3000 random operations (maxEntries ${max})`, async () => {
      const random = prng(max);
      const storage = memoryStorage({ maxEntries: max });
      const ref = new Reference(max);
      let now = 1000;
      let last: string | undefined;
      for (let op = 0; op < 3000; op++) {
        now += random(3);
        const k = key(random(40));
        const roll = random(10);
        if (roll < 6) {
          const ttl = 1 + random(30);
          const useOld = last !== undefined && random(2) === 0;
          const staleTtl = random(5);
          const value = `v${op}`;
          await storage.set({ namespace: 'session', key: k, value, ttl, now, ...(useOld ? { oldKey: last!, staleTtl } : {}) });
          ref.set(k, value, ttl, now, useOld ? last : undefined, staleTtl);
          last = k;
        } else if (roll < 9) {
          assert.equal(await storage.get('session', k, now), ref.get(k, now), `op ${op}: get ${k}`);
        } else {
          await storage.delete('session', k, now);
          ref.remove(k);
        }
        assert.equal(storage.size, ref.rows.length, `op ${op}: size`);
      }
    });
  }
});
