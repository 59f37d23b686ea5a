/**
 * collectCookies trims names and values exactly as `slice().trim()` does (every character `trim` removes,
 * not only spaces), whatever the header: its fast path skips the second string only when nothing would
 * be trimmed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectCookies } from '../../src/cookie/parse.ts';

/** The straightforward reading: every `name=value` pair, both sides trimmed. */
function reference(header: string): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  for (let start = 0; start < header.length; ) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) (out[header.slice(start, eq).trim()] ??= []).push(header.slice(eq + 1, end).trim());
    start = end + 1;
  }
  return out;
}

describe('collectCookies', () => {
  it('trims names and values as String.prototype.trim does', () => {
    const piece = fc.constantFrom(' ', '  ', '\t', ';', '=', 'a', 'session', 'x1', '\u00a0', '\ufeff', '\u2028', '\n', '\r', '\x01', '\x7f', 'é', '-_');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((a) => a.join('')), (header) => {
        assert.deepEqual(collectCookies(header, () => true), reference(header));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the usual header: names after "; ", values as sent', () => {
    assert.deepEqual({ ...collectCookies('a=1; session=abc-_; b=2;session= x ', (n) => n === 'session') }, { session: ['abc-_', 'x'] });
  });
});
