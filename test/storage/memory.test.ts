import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionError } from '../../src/errors.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { StorageMetadata } from '../../src/storage/types.ts';

const NOW = 1_700_000_000;
const NS = 'session';

/** A distinct, valid 43-character storage key per label. */
function key(label: string | number): string {
  const s = String(label);
  return 'k'.repeat(43 - s.length) + s;
}

const meta = (audience: string, subject: string): StorageMetadata => ({ audiences: [audience], subjects: [subject] });

describe('memoryStorage: records', () => {
  it('returns null for a missing key', async () => {
    const storage = memoryStorage();
    assert.equal(await storage.get(NS, key(1), NOW), null);
    assert.equal(storage.size, 0);
  });

  it('round-trips empty, 4 KiB and 1 MiB values', async () => {
    const storage = memoryStorage();
    const values = ['', 'a'.repeat(4096), 'b'.repeat(1 << 20)];
    for (const [i, value] of values.entries()) {
      await storage.set({ namespace: NS, key: key(i), value, ttl: 60, now: NOW });
    }
    for (const [i, value] of values.entries()) {
      assert.equal(await storage.get(NS, key(i), NOW), value);
    }
    assert.equal(storage.size, 3);
  });

  it('overwrites a record under the same key', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'first', ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(1), value: 'second', ttl: 60, now: NOW + 1 });
    assert.equal(await storage.get(NS, key(1), NOW + 1), 'second');
    assert.equal(storage.size, 1);
  });

  it('overwriting replaces the expiry too', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 100, now: NOW });
    await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 10, now: NOW });
    assert.equal(await storage.get(NS, key(1), NOW + 10), null);
  });

  it('is live while now < now0 + ttl and gone at exactly now0 + ttl', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    assert.equal(await storage.get(NS, key(1), NOW + 59), 'v');
    assert.equal(await storage.get(NS, key(1), NOW + 59.999), 'v');
    assert.equal(storage.size, 1);
    assert.equal(await storage.get(NS, key(1), NOW + 60), null);
    // The read that found it expired pruned it.
    assert.equal(storage.size, 0);
  });

  it('delete removes a record and is a no-op when it is missing', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(2), value: 'w', ttl: 60, now: NOW });
    await storage.delete(NS, key(1), NOW);
    assert.equal(await storage.get(NS, key(1), NOW), null);
    assert.equal(await storage.get(NS, key(2), NOW), 'w');
    await storage.delete(NS, key(3), NOW);
    assert.equal(storage.size, 1);
  });
});

describe('memoryStorage: old key and stale TTL', () => {
  it('keeps the old record readable until now + staleTtl', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key('old'), value: 'old', ttl: 3600, now: NOW });
    await storage.set({ namespace: NS, key: key('new'), value: 'new', ttl: 3600, now: NOW + 100, oldKey: key('old'), staleTtl: 10 });
    assert.equal(await storage.get(NS, key('old'), NOW + 109), 'old');
    assert.equal(await storage.get(NS, key('old'), NOW + 110), null);
    assert.equal(await storage.get(NS, key('new'), NOW + 110), 'new');
  });

  it('never extends the old record past its own expiry', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key('old'), value: 'old', ttl: 100, now: NOW });
    await storage.set({ namespace: NS, key: key('new'), value: 'new', ttl: 100, now: NOW + 95, oldKey: key('old'), staleTtl: 10 });
    assert.equal(await storage.get(NS, key('old'), NOW + 99), 'old');
    assert.equal(await storage.get(NS, key('old'), NOW + 100), null);
  });

  it('ends the old record at once when no staleTtl is given', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key('old'), value: 'old', ttl: 100, now: NOW });
    await storage.set({ namespace: NS, key: key('new'), value: 'new', ttl: 100, now: NOW + 5, oldKey: key('old') });
    assert.equal(await storage.get(NS, key('old'), NOW + 5), null);
  });

  it('ignores a missing old key, and an old key equal to the new key', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key('new'), value: 'v', ttl: 100, now: NOW, oldKey: key('gone'), staleTtl: 1 });
    assert.equal(storage.size, 1);
    await storage.set({ namespace: NS, key: key('new'), value: 'w', ttl: 100, now: NOW, oldKey: key('new'), staleTtl: 1 });
    assert.equal(await storage.get(NS, key('new'), NOW + 50), 'w');
  });

  it('reports whether the old record was live on the clock it is given, and nothing without a distinct old key', async () => {
    const storage = memoryStorage();
    const save = (old: string, now: number, staleTtl = 10): Promise<unknown> =>
      storage.set({ namespace: NS, key: key(`${old}-${now}`), value: 'n', ttl: 100, now, oldKey: key(old), staleTtl });
    await storage.set({ namespace: NS, key: key('old'), value: 'old', ttl: 100, now: NOW });
    assert.deepEqual(await save('old', NOW + 1), { oldKeyLive: true });
    assert.deepEqual(await save('old', NOW + 2, 50), { oldKeyLive: true }, 'already shortened below the stale TTL: live, not extended');
    assert.equal(await storage.get(NS, key('old'), NOW + 11), null);
    assert.deepEqual(await save('old', NOW + 11), { oldKeyLive: false }, 'expired at its shortened expiry');
    assert.deepEqual(await save('gone', NOW), { oldKeyLive: false });
    assert.equal(await storage.set({ namespace: NS, key: key('a'), value: 'v', ttl: 100, now: NOW }), undefined);
    assert.equal(await storage.set({ namespace: NS, key: key('a'), value: 'v', ttl: 100, now: NOW, oldKey: key('a'), staleTtl: 1 }), undefined);
  });
});

describe('memoryStorage: metadata', () => {
  it('lists the live keys of one audience + subject with their expiry', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(2), value: 'b', ttl: 120, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(3), value: 'c', ttl: 60, now: NOW, metadata: meta('aud', 'other') });
    await storage.set({ namespace: NS, key: key(4), value: 'd', ttl: 60, now: NOW });
    const listed = await storage.readMetadata(NS, 'aud', 'sub', NOW);
    assert.deepEqual(listed, new Map([[key(1), NOW + 60], [key(2), NOW + 120]]));
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'other', NOW), new Map([[key(3), NOW + 60]]));
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'nobody', NOW), new Map());
  });

  it('indexes every audience of a multi-audience record', async () => {
    const storage = memoryStorage();
    const metadata = { audiences: ['YXVkMQ', 'YXVkMg'], subjects: ['c3ViMQ', 'c3ViMg'] };
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata });
    assert.deepEqual(await storage.readMetadata(NS, 'YXVkMQ', 'c3ViMQ', NOW), new Map([[key(1), NOW + 60]]));
    assert.deepEqual(await storage.readMetadata(NS, 'YXVkMg', 'c3ViMg', NOW), new Map([[key(1), NOW + 60]]));
    // Pairs are positional: audience 1 with subject 2 is not an index.
    assert.deepEqual(await storage.readMetadata(NS, 'YXVkMQ', 'c3ViMg', NOW), new Map());
  });

  it('prunes expired entries, at exactly their expiry', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 10, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(2), value: 'b', ttl: 100, now: NOW, metadata: meta('aud', 'sub') });
    assert.equal((await storage.readMetadata(NS, 'aud', 'sub', NOW + 9)).size, 2);
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW + 10), new Map([[key(2), NOW + 100]]));
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW + 100), new Map());
  });

  it('an index entry expires at its own expiry even if its record was rewritten for longer', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 10, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(1), value: 'b', ttl: 100, now: NOW });
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW + 9), new Map([[key(1), NOW + 10]]));
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW + 10), new Map());
    assert.equal(await storage.get(NS, key(1), NOW + 10), 'b');
  });

  it('delete removes the key from the given indexes', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(2), value: 'b', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.delete(NS, key(1), NOW, meta('aud', 'sub'));
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW), new Map([[key(2), NOW + 60]]));
    assert.equal(await storage.get(NS, key(1), NOW), null);
  });

  it('set with oldKey moves the index entry, while the old record stays readable', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key('old'), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({
      namespace: NS, key: key('new'), value: 'b', ttl: 60, now: NOW + 1,
      oldKey: key('old'), staleTtl: 10, metadata: meta('aud', 'sub'),
    });
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW + 1), new Map([[key('new'), NOW + 61]]));
    assert.equal(await storage.get(NS, key('old'), NOW + 1), 'a');
  });

  it('does not list records that were deleted without metadata or evicted', async () => {
    const storage = memoryStorage({ maxEntries: 2 });
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: NS, key: key(2), value: 'b', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.delete(NS, key(2), NOW);
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW), new Map([[key(1), NOW + 60]]));
    await storage.set({ namespace: NS, key: key(3), value: 'c', ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(4), value: 'd', ttl: 60, now: NOW });
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW), new Map());
  });

  it('returns a copy the caller cannot use to edit the index', async () => {
    const storage = memoryStorage();
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    (await storage.readMetadata(NS, 'aud', 'sub', NOW)).clear();
    assert.equal((await storage.readMetadata(NS, 'aud', 'sub', NOW)).size, 1);
  });

  it('keeps listing correct across many indexes (the amortised sweep keeps live entries)', async () => {
    const storage = memoryStorage({ maxEntries: 4 });
    for (let i = 0; i < 100; i++) {
      await storage.set({ namespace: NS, key: key(i), value: 'v', ttl: 60, now: NOW, metadata: meta('aud', `s${i}`) });
    }
    for (let i = 96; i < 100; i++) {
      assert.deepEqual(await storage.readMetadata(NS, 'aud', `s${i}`, NOW), new Map([[key(i), NOW + 60]]));
    }
    assert.deepEqual(await storage.readMetadata(NS, 'aud', 's95', NOW), new Map());
  });
});

describe('memoryStorage: isolation', () => {
  it('two instances share nothing, whatever their prefixes', async () => {
    const a = memoryStorage({ prefix: 'app1' });
    const b = memoryStorage({ prefix: 'app2' });
    const c = memoryStorage({ prefix: 'app1' });
    await a.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    assert.equal(await b.get(NS, key(1), NOW), null);
    assert.equal(await c.get(NS, key(1), NOW), null);
    assert.deepEqual(await c.readMetadata(NS, 'aud', 'sub', NOW), new Map());
    assert.equal(await a.get(NS, key(1), NOW), 'a');
  });

  it('namespaces isolate records and indexes', async () => {
    const storage = memoryStorage({ prefix: 'app' });
    await storage.set({ namespace: 'session', key: key(1), value: 's', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
    await storage.set({ namespace: 'remember', key: key(1), value: 'r', ttl: 60, now: NOW });
    assert.equal(await storage.get('session', key(1), NOW), 's');
    assert.equal(await storage.get('remember', key(1), NOW), 'r');
    assert.deepEqual(await storage.readMetadata('remember', 'aud', 'sub', NOW), new Map());
    await storage.delete('remember', key(1), NOW);
    assert.equal(await storage.get('session', key(1), NOW), 's');
    assert.equal(await storage.get('remember', key(1), NOW), null);
  });
});

describe('memoryStorage: invalid input is rejected before any state change', () => {
  const badKeys: [string, string][] = [
    ['empty', ''],
    ['42 characters', 'k'.repeat(42)],
    ['44 characters', 'k'.repeat(44)],
    ["containing '/'", `${'k'.repeat(42)}/`],
    ["containing '..'", `..${'k'.repeat(41)}`],
    ["containing ':'", `${'k'.repeat(21)}:${'k'.repeat(21)}`],
    ["ending in '\\n'", `${'k'.repeat(42)}\n`],
    ["43 characters then '\\n'", `${'k'.repeat(43)}\n`],
  ];

  for (const [label, bad] of badKeys) {
    it(`rejects a key ${label}`, async () => {
      assert.notEqual(bad.length === 43 && /^[A-Za-z0-9_-]+$/.test(bad), true);
      const storage = memoryStorage();
      await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW, metadata: meta('aud', 'sub') });
      const isKeyError = (err: unknown): boolean =>
        err instanceof TypeError && /"(key|oldKey)"/.test(err.message) && !err.message.includes(bad || '\0');
      await assert.rejects(storage.set({ namespace: NS, key: bad, value: 'x', ttl: 60, now: NOW }), isKeyError);
      await assert.rejects(
        storage.set({ namespace: NS, key: key(2), value: 'x', ttl: 60, now: NOW, oldKey: bad, staleTtl: 0 }),
        isKeyError,
      );
      await assert.rejects(storage.get(NS, bad, NOW), isKeyError);
      await assert.rejects(storage.delete(NS, bad, NOW, meta('aud', 'sub')), isKeyError);
      // Nothing was written, moved or removed.
      assert.equal(storage.size, 1);
      assert.equal(await storage.get(NS, key(2), NOW), null);
      assert.equal(await storage.get(NS, key(1), NOW), 'v');
      assert.deepEqual(await storage.readMetadata(NS, 'aud', 'sub', NOW), new Map([[key(1), NOW + 60]]));
    });
  }

  it('rejects a bad namespace, audience or subject', async () => {
    const storage = memoryStorage();
    for (const namespace of ['', 'a:b', 'a b', 'ses\nsion']) {
      await assert.rejects(storage.set({ namespace, key: key(1), value: 'v', ttl: 60, now: NOW }), /"namespace"/);
      await assert.rejects(storage.get(namespace, key(1), NOW), TypeError);
      await assert.rejects(storage.delete(namespace, key(1), NOW), TypeError);
      await assert.rejects(storage.readMetadata(namespace, 'aud', 'sub', NOW), TypeError);
    }
    await assert.rejects(storage.readMetadata(NS, 'a:b', 'sub', NOW), /"audience"/);
    await assert.rejects(storage.readMetadata(NS, 'aud', '', NOW), /"subject"/);
    await assert.rejects(
      storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW, metadata: meta('aud', 'a:b') }),
      /"metadata.subjects"/,
    );
    await assert.rejects(
      storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW, metadata: { audiences: ['a', 'b'], subjects: ['s'] } }),
      /"metadata"/,
    );
    assert.equal(storage.size, 0);
  });

  it('rejects a bad ttl, staleTtl or now', async () => {
    const storage = memoryStorage();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(storage.set({ namespace: NS, key: key(1), value: 'v', ttl, now: NOW }), (err: unknown) =>
        err instanceof RangeError && err.message.includes('"ttl"'),
      );
    }
    await assert.rejects(
      storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW, oldKey: key(2), staleTtl: -1 }),
      (err: unknown) => err instanceof RangeError && err.message.includes('"staleTtl"'),
    );
    await assert.rejects(storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: Number.NaN }), (err: unknown) =>
      err instanceof TypeError && err.message.includes('"now"'),
    );
    await assert.rejects(storage.get(NS, key(1), Number.NaN), /"now"/);
    assert.equal(storage.size, 0);
  });
});

describe('memoryStorage: bounds and concurrency', () => {
  it('evicts the oldest records beyond maxEntries and keeps the newest', async () => {
    const storage = memoryStorage({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) await storage.set({ namespace: NS, key: key(i), value: `v${i}`, ttl: 60, now: NOW });
    assert.equal(storage.size, 3);
    assert.equal(await storage.get(NS, key(1), NOW), null);
    assert.equal(await storage.get(NS, key(2), NOW), null);
    for (let i = 3; i <= 5; i++) assert.equal(await storage.get(NS, key(i), NOW), `v${i}`);
  });

  it('a rewrite makes a record the newest', async () => {
    const storage = memoryStorage({ maxEntries: 3 });
    for (let i = 1; i <= 3; i++) await storage.set({ namespace: NS, key: key(i), value: `v${i}`, ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(1), value: 'again', ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(4), value: 'v4', ttl: 60, now: NOW });
    assert.equal(await storage.get(NS, key(1), NOW), 'again');
    assert.equal(await storage.get(NS, key(2), NOW), null);
    assert.equal(await storage.get(NS, key(3), NOW), 'v3');
  });

  it('drops an expired record before the oldest live one', async () => {
    const storage = memoryStorage({ maxEntries: 3 });
    await storage.set({ namespace: NS, key: key(1), value: 'long', ttl: 100, now: NOW });
    await storage.set({ namespace: NS, key: key(2), value: 'short', ttl: 1, now: NOW });
    await storage.set({ namespace: NS, key: key(3), value: 'long', ttl: 100, now: NOW });
    await storage.set({ namespace: NS, key: key(4), value: 'long', ttl: 100, now: NOW + 5 });
    assert.equal(storage.size, 3);
    assert.equal(await storage.get(NS, key(1), NOW + 5), 'long');
    assert.equal(await storage.get(NS, key(2), NOW), null);
  });

  it('maxEntries 1 keeps exactly the last record', async () => {
    const storage = memoryStorage({ maxEntries: 1 });
    await storage.set({ namespace: NS, key: key(1), value: 'a', ttl: 60, now: NOW });
    await storage.set({ namespace: NS, key: key(2), value: 'b', ttl: 60, now: NOW });
    assert.equal(storage.size, 1);
    assert.equal(await storage.get(NS, key(2), NOW), 'b');
  });

  it('50 concurrent sets to distinct keys all persist', async () => {
    const storage = memoryStorage();
    const n = 50;
    await Promise.all(
      Array.from({ length: n }, (_, i) => storage.set({ namespace: NS, key: key(i), value: `v${i}`, ttl: 60, now: NOW })),
    );
    assert.equal(storage.size, n);
    const values = await Promise.all(Array.from({ length: n }, (_, i) => storage.get(NS, key(i), NOW)));
    assert.deepEqual(values, Array.from({ length: n }, (_, i) => `v${i}`));
  });
});

describe('memoryStorage: close', () => {
  it('is idempotent and later operations reject with STORAGE_ERROR naming memory', async () => {
    const storage = memoryStorage();
    assert.equal(storage.name, 'memory');
    await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
    await storage.close();
    await storage.close();
    assert.equal(storage.size, 0);
    const isClosed = (err: unknown): boolean =>
      err instanceof SessionError && err.code === 'STORAGE_ERROR' && err.storage === 'memory' && /memory/.test(err.message);
    await assert.rejects(storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW }), isClosed);
    await assert.rejects(storage.get(NS, key(1), NOW), isClosed);
    await assert.rejects(storage.delete(NS, key(1), NOW), isClosed);
    await assert.rejects(storage.readMetadata(NS, 'aud', 'sub', NOW), isClosed);
  });
});

describe('memoryStorage: options', () => {
  it('rejects a maxEntries that is not a positive integer with a RangeError naming it', () => {
    for (const maxEntries of [-1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => memoryStorage({ maxEntries }), (err: unknown) =>
        err instanceof RangeError && err.message === `"maxEntries" expected a positive integer, got ${maxEntries}`,
      );
    }
  });

  it('rejects options of the wrong type with a TypeError naming them', () => {
    assert.throws(() => memoryStorage({ maxEntries: '10' as unknown as number }), (err: unknown) =>
      err instanceof TypeError && err.message.startsWith('"maxEntries"'),
    );
    assert.throws(() => memoryStorage({ prefix: 5 as unknown as string }), (err: unknown) =>
      err instanceof TypeError && err.message.startsWith('"prefix"'),
    );
    assert.throws(() => memoryStorage(null as unknown as object), (err: unknown) =>
      err instanceof TypeError && err.message.startsWith('"options"'),
    );
  });

  it('rejects a prefix with characters outside [A-Za-z0-9_.-] with a RangeError naming it', () => {
    for (const prefix of ['a:b', 'a b', 'tab\t', 'é', 'a/b']) {
      assert.throws(() => memoryStorage({ prefix }), (err: unknown) =>
        err instanceof RangeError && err.message.startsWith('"prefix"'),
      );
    }
  });

  it('accepts valid options', async () => {
    for (const options of [{}, { prefix: '' }, { prefix: 'my-app_v1.2' }, { maxEntries: 1 }, { maxEntries: undefined }]) {
      const storage = memoryStorage(options);
      await storage.set({ namespace: NS, key: key(1), value: 'v', ttl: 60, now: NOW });
      assert.equal(await storage.get(NS, key(1), NOW), 'v');
    }
  });
});
