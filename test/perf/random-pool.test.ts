/**
 * The pooled CSPRNG source for session ids: every byte handed out once, from the platform CSPRNG only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandomBytes } from '../../src/codec/random.ts';

describe('pooledRandomBytes', () => {
  it('fills its pool from the given source, hands each byte out once, and refills when empty', () => {
    let fills = 0;
    let next = 0;
    // A counting source: byte i of the whole stream is i & 255, so reuse would show as a repeated offset.
    const source = (a: Uint8Array): void => {
      fills++;
      for (let i = 0; i < a.length; i++) a[i] = (next + i) & 255;
      next += a.length;
    };
    const random = pooledRandomBytes(source);
    for (let i = 0; i < 300; i++) {
      const out = random(32);
      assert.equal(out.length, 32);
      assert.equal(out.byteOffset, 0);
      assert.equal(out.buffer.byteLength, 32, 'a fresh array, not a view of the pool');
      // Consecutive ids are consecutive stretches of the source's stream: no byte handed out twice.
      for (let j = 0; j < 32; j++) assert.equal(out[j], (i * 32 + j) & 255);
    }
    assert.equal(fills, Math.ceil((300 * 32) / 4096));
  });

  it('never hands out the same bytes twice (real CSPRNG), and the ids are all distinct', () => {
    const random = pooledRandomBytes();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(Buffer.from(random(32)).toString('hex'));
    assert.equal(ids.size, 1000);
  });

  it('a change to a returned array changes nothing else', () => {
    const random = pooledRandomBytes();
    const a = random(16);
    const copy = Buffer.from(a).toString('hex');
    const b = random(16);
    b.fill(0);
    assert.equal(Buffer.from(a).toString('hex'), copy);
  });

  it('large and empty requests, and the length check', () => {
    let calls = 0;
    const random = pooledRandomBytes((a) => {
      calls++;
      a.fill(7);
    });
    assert.equal(random(0).length, 0);
    const big = random(1000);
    assert.equal(big.length, 1000);
    assert.ok(big.every((x) => x === 7));
    assert.equal(calls, 1, 'a large request goes straight to the source');
    for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => random(bad), RangeError);
  });
});
