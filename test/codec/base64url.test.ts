/**
 * Strict unpadded base64url: agreement with Buffer on canonical text, and rejection of everything Buffer
 * would leniently accept (bad characters, padding, impossible lengths, non-canonical last characters).
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlDecode, base64urlEncode, encodedLength } from '../../src/codec/base64url.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decoded(text: string): string {
  const out = base64urlDecode(text);
  assert.ok(out !== null, `rejected ${JSON.stringify(text)}`);
  assert.ok(out instanceof Uint8Array);
  return hex(out);
}

describe('base64urlEncode / base64urlDecode', () => {
  it("round-trips random byte arrays of lengths 0..100 and agrees with Buffer's base64url", () => {
    for (let n = 0; n <= 100; n++) {
      for (let k = 0; k < 5; k++) {
        const bytes = new Uint8Array(randomBytes(n));
        const expected = Buffer.from(bytes).toString('base64url');
        const text = base64urlEncode(bytes);
        assert.equal(text, expected, `encode of ${hex(bytes)}`);
        assert.equal(text.length, encodedLength(n));
        assert.doesNotMatch(text, /[=+/]/);
        assert.equal(decoded(text), hex(bytes), `decode of ${text}`);
      }
    }
  });

  it('encodes and decodes known values', () => {
    assert.equal(base64urlEncode(new Uint8Array(0)), '');
    assert.equal(decoded(''), '');
    assert.equal(base64urlEncode(new Uint8Array([0xde, 0xad])), '3q0');
    assert.equal(base64urlEncode(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01])), '3q2-7wE');
    assert.equal(base64urlEncode(new Uint8Array([0xfb, 0xff, 0xbf])), '-_-_');
    assert.equal(decoded('3q2-7wE'), 'deadbeef01');
    assert.equal(decoded('-_-_'), 'fbffbf');
  });

  it('decodes every 4-character group like Buffer', () => {
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 64; j += 7) {
        const text = `${ALPHABET[i]}${ALPHABET[j]}${ALPHABET[63 - i]}${ALPHABET[(i * j) % 64]}`;
        assert.equal(decoded(text), Buffer.from(text, 'base64url').toString('hex'), text);
      }
    }
  });
});

describe('base64urlDecode rejects non-canonical text', () => {
  const invalid = ['!', '%', ' ', '+', '/', '=', 'é', '\0', '\n', '.', '*', '\u00c1', '\u0141', '\u{1F600}', '\uFFFF'];

  it('returns null for any character outside the url-safe alphabet, anywhere', () => {
    const valid = 'AQAB3q2-_w8AAAAA'; // 16 chars, decodes to 12 bytes
    assert.equal(decoded(valid).length, 24);
    for (const bad of invalid) {
      for (const pos of [0, 1, 5, 8, 14, 15].filter((p) => p + bad.length <= valid.length)) {
        // Keep the length a multiple of 4 so that only the character can be the reason for rejection.
        const text = valid.slice(0, pos) + bad + valid.slice(pos + bad.length);
        assert.equal(text.length, valid.length);
        assert.equal(base64urlDecode(text), null, `${JSON.stringify(bad)} at ${pos}`);
      }
      // Also in the partial last group (lengths 2 and 3 mod 4).
      assert.equal(base64urlDecode(`AAAA${bad}A`), null, JSON.stringify(bad));
      assert.equal(base64urlDecode(`AAAAA${bad}A`), null, JSON.stringify(bad));
    }
  });

  it('returns null for padding', () => {
    assert.equal(base64urlDecode('AQ=='), null);
    assert.equal(base64urlDecode('AQI='), null);
    assert.equal(base64urlDecode('3q2-7wE='), null);
    assert.equal(base64urlDecode('===='), null);
  });

  it('returns null when length % 4 == 1', () => {
    for (const text of ['A', 'Q', 'AAAAA', 'AQIDBAUGB', '3q2-7wEAA']) assert.equal(base64urlDecode(text), null, text);
    for (let n = 1; n < 80; n += 4) {
      const text = Buffer.from(randomBytes(n)).toString('base64url').slice(0, n);
      if (text.length % 4 === 1) assert.equal(base64urlDecode(text), null, text);
    }
    for (let k = 0; k < 50; k++) {
      const len = 4 * (k % 20) + 1;
      let text = '';
      for (let i = 0; i < len; i++) text += ALPHABET[(k * 31 + i * 7) % 64];
      assert.equal(base64urlDecode(text), null, text);
    }
  });

  it("rejects '3q2-7wH' (same bytes as the canonical '3q2-7wE' for Buffer)", () => {
    assert.equal(Buffer.from('3q2-7wH', 'base64url').toString('hex'), 'deadbeef01');
    assert.equal(base64urlDecode('3q2-7wH'), null);
    assert.equal(Buffer.from('3q1', 'base64url').toString('hex'), 'dead');
    assert.equal(base64urlDecode('3q1'), null);
    assert.equal(decoded('3q0'), 'dead');
  });

  it('rejects every alternative last character that Buffer decodes to the same bytes', () => {
    for (let round = 0; round < 300; round++) {
      const n = 1 + (round % 60);
      const bytes = randomBytes(n);
      const canonical = bytes.toString('base64url');
      const prefix = canonical.slice(0, -1);
      let aliases = 0;
      for (const c of ALPHABET) {
        const alt = prefix + c;
        const lenient = Buffer.from(alt, 'base64url');
        const strict = base64urlDecode(alt);
        if (alt === canonical) {
          assert.equal(strict === null ? null : hex(strict), bytes.toString('hex'));
        } else if (lenient.equals(bytes)) {
          aliases++;
          assert.equal(strict, null, `accepted ${alt} as an alias of ${canonical}`);
        } else if (lenient.toString('base64url') === alt) {
          // The canonical spelling of other bytes: must decode exactly like Buffer.
          assert.ok(strict !== null, `rejected canonical ${alt}`);
          assert.equal(hex(strict), lenient.toString('hex'));
        } else {
          assert.equal(strict, null, `accepted non-canonical ${alt}`);
        }
      }
      // 2 spare bits leave 3 aliases, 4 spare bits 15; whole groups have none.
      assert.equal(aliases, n % 3 === 1 ? 15 : n % 3 === 2 ? 3 : 0, `aliases of ${canonical}`);
    }
  });
});

describe('encodedLength', () => {
  it('is ceil(4n/3) and the length of the encoding', () => {
    for (let n = 0; n <= 300; n++) {
      assert.equal(encodedLength(n), Math.ceil((4 * n) / 3));
      assert.equal(encodedLength(n), Buffer.alloc(n).toString('base64url').length);
    }
    assert.equal(encodedLength(82), 110); // the header
    assert.equal(encodedLength(69), 92); // the basic vector's plaintext
    assert.equal(encodedLength(2 ** 24), Math.ceil((4 * 2 ** 24) / 3));
  });
});
