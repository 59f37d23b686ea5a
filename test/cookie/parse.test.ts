/**
 * collectCookies trims names and values exactly as `slice().trim()` does (every character `trim` removes,
 * not only spaces), whatever the header: its fast path skips the second string only when nothing would
 * be trimmed. readCookies (the manager's reader) returns the same values for its fixed list of names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { collectCookies, CookieNameList, readCookies } from '../../src/cookie/parse.ts';

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

describe('readCookies', () => {
  const list = new CookieNameList(['session', 'session2', 'x1', 'a']);
  /** collectCookies' reading, by index in the list. */
  const expected = (header: string): (string[] | undefined)[] | undefined => {
    const all = reference(header);
    const out = list.names.map((name) => all[name]);
    return out.some((v) => v !== undefined) ? out : undefined;
  };

  it('reads the values collectCookies reads for its names, trimmed the same way', () => {
    const piece = fc.constantFrom(' ', '  ', '\t', ';', '=', 'a', 'session', 'session2', 'x1', '2', '\u00a0', '\ufeff', '\u2028', '\n', '\r', '\x01', '\x7f', 'é', '-_');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }).map((a) => a.join('')), (header) => {
        const got = readCookies(header, list);
        assert.deepEqual(got === undefined ? undefined : list.names.map((_, i) => got[i]), expected(header));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps every occurrence in header order, matches names exactly, and makes nothing of other cookies', () => {
    const got = readCookies('Session=no; session=1; other=2; session2=b; session =3;sessionX=4; session=', list)!;
    assert.deepEqual([got[0], got[1], got[2], got[3]], [['1', '3', ''], ['b'], undefined, undefined]);
    assert.equal(readCookies('other=1; sessions=2', list), undefined);
    assert.equal(readCookies('', list), undefined);
  });
});
