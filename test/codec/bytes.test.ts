/**
 * The slab allocator and UTF-8 encoder of the hot path (src/codec/bytes.ts): every array is zero-filled,
 * exactly as long as asked, and shares no byte with any other array handed out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocBytes, utf8 } from '../../src/codec/bytes.ts';

describe('allocBytes', () => {
  it('hands out zero-filled arrays of the exact length, small, slab-sized and large', () => {
    for (const n of [0, 1, 64, 65, 82, 1024, 1025, 5000]) {
      const a = allocBytes(n);
      assert.equal(a.length, n);
      assert.ok(a.every((b) => b === 0), `${n} bytes zero-filled`);
    }
  });

  it('never lets two arrays share a byte, across many slabs', () => {
    const arrays = Array.from({ length: 400 }, (_, i) => allocBytes(65 + (i % 900)));
    arrays.forEach((a, i) => a.fill((i % 255) + 1));
    arrays.forEach((a, i) => assert.ok(a.every((b) => b === (i % 255) + 1), `array ${i} was not overwritten by another`));
  });
});

describe('utf8', () => {
  it('equals TextEncoder for ASCII, multi-byte text, lone surrogates and texts past the scratch size', () => {
    const encoder = new TextEncoder();
    for (const text of ['', '{"n":1}', 'é✓😀', '\ud800x\udfff', 'x'.repeat(4096), '😀'.repeat(3000), 'y'.repeat(10_000)]) {
      assert.deepEqual(utf8(text), encoder.encode(text), `${text.length} code units`);
    }
  });

  it('returns an array of its own: changing it changes no later result', () => {
    const a = utf8('abc'.repeat(30));
    a.fill(0);
    assert.deepEqual(utf8('abc'.repeat(30)), new TextEncoder().encode('abc'.repeat(30)));
  });
});
