/**
 * The bounded LRU cache every hot-path cache is built on: it never holds more than its limits, hits only
 * on the exact key, and evicts the least recently used entry first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedCache } from '../../src/codec/cache.ts';

describe('BoundedCache', () => {
  it('never holds more than maxEntries, evicting the least recently used', () => {
    const cache = new BoundedCache<number>({ maxEntries: 3 });
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size <= 3);
    }
    assert.deepEqual([cache.get('k97'), cache.get('k98'), cache.get('k99')], [97, 98, 99]);
    assert.equal(cache.get('k96'), undefined);
  });

  it('a hit makes an entry the most recently used', () => {
    const cache = new BoundedCache<string>({ maxEntries: 2 });
    cache.set('a', 'A');
    cache.set('b', 'B');
    assert.equal(cache.get('a'), 'A');
    cache.set('c', 'C'); // evicts b, not a
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 'A');
    assert.equal(cache.get('c'), 'C');
  });

  it('hits only on the exact key', () => {
    const cache = new BoundedCache<string>({ maxEntries: 10 });
    cache.set('abc', 'v');
    for (const near of ['ab', 'abcd', 'ABC', 'abc ', ' abc', 'abc\u0000', 'ab\u0063\u0301']) assert.equal(cache.get(near), undefined, JSON.stringify(near));
    assert.equal(cache.get(['a', 'b', 'c'].join('')), 'v', 'an equal string built another way is the same key');
  });

  it('bounds the total weight, and refuses an entry heavier than an eighth of it', () => {
    const cache = new BoundedCache<string>({ maxEntries: 100, maxWeight: 800, weigh: (key, value) => key.length + value.length });
    for (let i = 0; i < 50; i++) {
      assert.equal(cache.set(`key${String(i).padStart(2, '0')}`, 'x'.repeat(95)), true);
      assert.ok(cache.weight <= 800, `weight ${cache.weight}`);
    }
    assert.equal(cache.size, 8);
    assert.equal(cache.set('huge', 'x'.repeat(101)), false);
    assert.equal(cache.get('huge'), undefined);
    assert.equal(cache.size, 8, 'a refused entry evicts nothing');
  });

  it('replacing a key keeps one entry and its new weight', () => {
    const cache = new BoundedCache<string>({ maxEntries: 5, maxWeight: 1000, weigh: (_k, v) => v.length });
    cache.set('k', 'aaaa');
    cache.set('k', 'bb');
    assert.equal(cache.size, 1);
    assert.equal(cache.weight, 2);
    assert.equal(cache.get('k'), 'bb');
    cache.set('k', 'c'.repeat(200)); // refused: heavier than 1000 / 8, and the old value is gone too
    assert.equal(cache.get('k'), undefined);
    assert.equal(cache.weight, 0);
  });

  it('delete and clear', () => {
    const cache = new BoundedCache<number>({ maxEntries: 5, maxWeight: 100, weigh: () => 10 });
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.weight, 10);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.weight, 0);
    assert.equal(cache.get('b'), undefined);
  });

  it('rejects impossible limits with a RangeError naming the option', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new BoundedCache({ maxEntries }), (e: unknown) => e instanceof RangeError && e.message.startsWith('"maxEntries"'));
    }
    for (const maxWeight of [0, -1, Number.NaN]) {
      assert.throws(() => new BoundedCache({ maxEntries: 1, maxWeight }), (e: unknown) => e instanceof RangeError && e.message.startsWith('"maxWeight"'));
    }
  });
});
