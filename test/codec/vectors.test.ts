/**
 * The codec against the cookies issued by the real lua-resty-session 4.1.5 (test/vectors), on both crypto
 * backends: key derivation, header decoding, MAC verification (with and without client binding),
 * decryption and decoding of the payload, byte-exact re-encoding, touch, and key rotation.
 */
import { createHash } from 'node:crypto';
import { inflateRawSync, deflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlDecode, base64urlEncode } from '../../src/codec/base64url.ts';
import { createNodeCrypto, nobleCrypto, type CryptoBackend } from '../../src/codec/crypto.ts';
import { Flags, HEADER_TEXT_SIZE } from '../../src/codec/header.ts';
import {
  deriveEncryptionKey,
  deriveMacKey,
  deriveRememberKey,
  ikmFromSecret,
  keyMaterial,
  type EncryptionKey,
} from '../../src/codec/keys.ts';
import { decodePayload, encodePayload, type SessionEntry } from '../../src/codec/payload.ts';
import {
  bindDigest,
  openPayload,
  parseHeader,
  retouch,
  seal,
  sealedText,
  verifyMac,
  type ParsedHeader,
} from '../../src/codec/seal.ts';
import {
  fromHex,
  hex,
  joinedCookie,
  vector,
  vectorFile,
  type DecodedCookie,
  type Vector,
} from '../helpers/vectors.ts';

const LIMIT = 16 * 1024 * 1024;
const backends: readonly CryptoBackend[] = [nobleCrypto, createNodeCrypto(await import('node:crypto'))];

/** One vector cookie with a `decoded` (or `decoded_remember`) block. */
interface Case {
  readonly label: string;
  readonly vector: Vector;
  readonly decoded: DecodedCookie;
  /** The cookie value, chunks joined. */
  readonly value: string;
  readonly remember: boolean;
  readonly storage: boolean;
  /** For server-side storage: the base64url ciphertext of the stored record. */
  readonly storedCiphertext: string | undefined;
}

function storedCiphertext(v: Vector, d: DecodedCookie): string | undefined {
  const record = v.storage_after_save?.[`${d.cookie_name}:${d.sid_b64url}`];
  if (record === undefined) return undefined;
  const parsed = JSON.parse(record.value as string) as unknown;
  assert.ok(Array.isArray(parsed) && typeof parsed[0] === 'string', `stored record of ${v.name}`);
  return parsed[0] as string;
}

const cases: Case[] = [];
for (const v of vectorFile.vectors) {
  const blocks: Array<[DecodedCookie | undefined, boolean]> = [
    [v.decoded, false],
    [v.decoded_remember, true],
  ];
  for (const [decoded, remember] of blocks) {
    if (decoded === undefined) continue;
    cases.push({
      label: `${v.name}${remember ? ' (remember cookie)' : ''}`,
      vector: v,
      decoded,
      value: joinedCookie(v.response?.set_cookie ?? [], decoded.cookie_name),
      remember,
      storage: (decoded.flags & Flags.storage) !== 0,
      storedCiphertext: storedCiphertext(v, decoded),
    });
  }
}

function b64(text: string): Uint8Array {
  const bytes = base64urlDecode(text);
  assert.ok(bytes !== null, `not canonical base64url: ${text.slice(0, 40)}`);
  return bytes;
}

/** The client binding the vector's flags select, from the vector file's bind context. */
function bindingFor(crypto: CryptoBackend, flags: number): Uint8Array | undefined {
  const ctx = vectorFile.bind_context;
  return bindDigest(crypto, [
    flags & Flags.bindIp ? ctx.remote_addr : undefined,
    flags & Flags.bindScheme ? ctx.scheme : undefined,
    flags & Flags.bindUserAgent ? ctx.user_agent : undefined,
  ]);
}

async function keysFor(crypto: CryptoBackend, c: Case): Promise<{ enc: EncryptionKey; macKey: Uint8Array }> {
  const material = keyMaterial(crypto, fromHex(c.decoded.ikm_hex));
  const sid = b64(c.decoded.sid_b64url);
  const enc = c.remember
    ? await deriveRememberKey(crypto, material, sid, 'medium')
    : deriveEncryptionKey(crypto, material, sid);
  return { enc, macKey: deriveMacKey(crypto, material, sid) };
}

function header(value: string): ParsedHeader {
  const h = parseHeader(value);
  assert.ok(h !== null, 'parseHeader returned null');
  return h;
}

function asArrays(entries: readonly SessionEntry[]): unknown[] {
  return entries.map((e) => (e.subject === undefined ? [e.data, e.audience] : [e.data, e.audience, e.subject]));
}

function secretKeys(crypto: CryptoBackend, secret: string, sid: Uint8Array): { enc: EncryptionKey; macKey: Uint8Array } {
  const material = keyMaterial(crypto, ikmFromSecret(crypto, secret));
  return { enc: deriveEncryptionKey(crypto, material, sid), macKey: deriveMacKey(crypto, material, sid) };
}

describe('vector file', () => {
  it('has every decoded cookie the codec is checked against', () => {
    assert.deepEqual(
      cases.map((c) => c.label),
      [
        'basic',
        'no_timeouts',
        'defaults_empty',
        'deflate',
        'chunked',
        'bind_all',
        'remember_medium',
        'remember_medium (remember cookie)',
        'multi_audience',
        'shm',
        'shm_meta',
        'upstream_t01_test3',
      ],
    );
    for (const c of cases) {
      if (c.storage) {
        assert.equal(c.value.length, HEADER_TEXT_SIZE, c.label);
        assert.ok(c.storedCiphertext !== undefined, `${c.label}: stored record`);
      } else {
        assert.equal(c.value.length, HEADER_TEXT_SIZE + c.decoded.data_size, c.label);
      }
    }
  });

  it('chunked vector really spans three cookies', () => {
    const c = cases.find((x) => x.vector.name === 'chunked')!;
    const names = (c.vector.response?.set_cookie ?? []).map((s) => s.slice(0, s.indexOf('=')));
    assert.deepEqual(names, ['session', 'session2', 'session3']);
  });
});

for (const crypto of backends) {
  describe(`lua-resty-session 4.1.5 vectors (${crypto.name} backend)`, () => {
    it('(h) ikm of the secret is SHA-256(secret) and matches every vector ikm', () => {
      const ikm = ikmFromSecret(crypto, vectorFile.secret);
      assert.equal(hex(ikm), vectorFile.ikm_from_secret_hex);
      assert.equal(hex(ikm), createHash('sha256').update(vectorFile.secret).digest('hex'));
      for (const c of cases) assert.equal(c.decoded.ikm_hex, vectorFile.ikm_from_secret_hex, c.label);
      assert.notEqual(hex(ikmFromSecret(crypto, `${vectorFile.secret} `)), vectorFile.ikm_from_secret_hex);
    });

    it('bindDigest is "#" || SHA-256("127.0.0.1|http|vector-agent/1.0")', () => {
      const ctx = vectorFile.bind_context;
      const digest = bindDigest(crypto, [ctx.remote_addr, ctx.scheme, ctx.user_agent]);
      const expected = Buffer.concat([
        Buffer.from('#'),
        createHash('sha256').update('127.0.0.1|http|vector-agent/1.0').digest(),
      ]);
      assert.ok(digest !== undefined);
      assert.equal(hex(digest), expected.toString('hex'));
      assert.equal(bindDigest(crypto, [undefined, '', undefined]), undefined);
      // Empty values are skipped, not joined as empty fields.
      assert.equal(
        hex(bindDigest(crypto, ['', ctx.scheme, ctx.user_agent])!),
        hex(bindDigest(crypto, [ctx.scheme, ctx.user_agent])!),
      );
    });

    for (const c of cases) {
      describe(c.label, () => {
        const d = c.decoded;

        it('(a) derives the vector AES key, IV and MAC key', async () => {
          const { enc, macKey } = await keysFor(crypto, c);
          assert.equal(hex(enc.key), d.derived.aes_key_hex);
          assert.equal(hex(enc.iv), d.derived.iv_hex);
          assert.equal(hex(macKey), d.derived.mac_key_hex);
        });

        it('(b) parseHeader gives the decoded header fields', () => {
          const h = header(c.value);
          assert.equal(h.type, d.type);
          assert.equal(h.flags, d.flags);
          assert.equal(base64urlEncode(h.sid), d.sid_b64url);
          assert.equal(h.creationTime, d.creation_time);
          assert.equal(h.rollingOffset, d.rolling_offset);
          assert.equal(h.dataSize, d.data_size);
          assert.equal(hex(h.tag), d.tag_hex);
          assert.equal(h.idlingOffset, d.idling_offset);
          assert.equal(hex(h.mac), d.mac_hex);
          assert.equal(base64urlEncode(h.bytes), c.value.slice(0, HEADER_TEXT_SIZE));
        });

        it('(c) verifies the MAC, and rejects a tampered header or a wrong key', async () => {
          const { macKey } = await keysFor(crypto, c);
          const h = header(c.value);
          const binding = bindingFor(crypto, d.flags);
          assert.equal(verifyMac(crypto, h, macKey, binding), true);
          if (binding !== undefined) assert.equal(verifyMac(crypto, h, macKey), false, 'verified without binding');
          else assert.equal(verifyMac(crypto, h, macKey, bindingFor(crypto, 0x0700)), false, 'verified with a binding');
          const tampered = h.bytes.slice();
          tampered[64]! ^= 1; // idling offset
          assert.equal(verifyMac(crypto, header(base64urlEncode(tampered)), macKey, binding), false);
          const wrongKey = macKey.slice();
          wrongKey[0]! ^= 0x80;
          assert.equal(verifyMac(crypto, h, wrongKey, binding), false);
        });

        if (d.flags & Flags.bindIp) {
          it('(c) bind_all: verifies only with bindDigest(remote_addr, scheme, user_agent)', async () => {
            const { macKey } = await keysFor(crypto, c);
            const h = header(c.value);
            const ctx = vectorFile.bind_context;
            const binding = bindDigest(crypto, [ctx.remote_addr, ctx.scheme, ctx.user_agent]);
            assert.equal(verifyMac(crypto, h, macKey, binding), true);
            assert.equal(verifyMac(crypto, h, macKey), false);
            const otherAgent = bindDigest(crypto, [ctx.remote_addr, ctx.scheme, 'other-agent/1.0']);
            assert.equal(verifyMac(crypto, h, macKey, otherAgent), false);
            const otherAddr = bindDigest(crypto, ['127.0.0.2', ctx.scheme, ctx.user_agent]);
            assert.equal(verifyMac(crypto, h, macKey, otherAddr), false);
          });
        }

        const payloadText = c.storage ? c.storedCiphertext : c.value.slice(HEADER_TEXT_SIZE);
        if (payloadText !== undefined) {
          it(`(d) decrypts ${c.storage ? 'the stored record' : 'the payload'} and decodes the entries`, async () => {
            const { enc } = await keysFor(crypto, c);
            const h = header(c.value);
            const plain = openPayload(crypto, h, payloadText, enc);
            assert.ok(plain !== null, 'openPayload returned null');
            assert.equal(base64urlEncode(plain), d.encrypted_plaintext_b64url);
            const entries = decodePayload(plain, (d.flags & Flags.deflate) !== 0, LIMIT);
            assert.ok(entries !== null, 'decodePayload returned null');
            assert.deepEqual(asArrays(entries), JSON.parse(d.plaintext_json));

            const v = c.vector;
            if (!c.remember && v.lua_open?.data !== undefined) {
              const audience =
                v.lua_open.audience ?? (v.lua_config['audience'] as string | undefined) ?? 'default';
              const entry = entries.find((e) => e.audience === audience);
              assert.ok(entry !== undefined, `no entry for audience ${audience}`);
              assert.deepEqual(entry.data, v.lua_open.data);
              if (v.lua_open.subject !== undefined) assert.equal(entry.subject, v.lua_open.subject);
              else assert.equal(entry.subject, undefined);
            }
            const asMyApp = v.lua_open_as_my_application;
            if (!c.remember && asMyApp !== undefined) {
              assert.deepEqual(entries.find((e) => e.audience === 'my_application')?.data, asMyApp.data);
              assert.deepEqual(asArrays(entries), asMyApp.all);
            }
          });

          it('(d) rejects a payload of the wrong length, a flipped ciphertext char, or the wrong key', async () => {
            const { enc } = await keysFor(crypto, c);
            const h = header(c.value);
            assert.equal(openPayload(crypto, h, payloadText.slice(0, -1), enc), null);
            assert.equal(openPayload(crypto, h, `${payloadText}A`, enc), null);
            const first = payloadText[0] === 'A' ? 'B' : 'A';
            assert.equal(openPayload(crypto, h, first + payloadText.slice(1), enc), null);
            const wrong = { key: enc.key, iv: enc.iv.slice() };
            wrong.iv[0]! ^= 1;
            assert.equal(openPayload(crypto, h, payloadText, wrong), null);
          });
        }

        it('(e) seal() with the vector inputs reproduces the cookie byte for byte', async () => {
          const { enc, macKey } = await keysFor(crypto, c);
          const sealed = seal(
            crypto,
            {
              flags: d.flags,
              sid: b64(d.sid_b64url),
              creationTime: d.creation_time,
              rollingOffset: d.rolling_offset,
              idlingOffset: d.idling_offset,
              plaintext: b64(d.encrypted_plaintext_b64url),
            },
            enc,
            macKey,
            bindingFor(crypto, d.flags),
          );
          const text = sealedText(sealed);
          if (c.storage) {
            assert.equal(text.header, c.value);
            assert.equal(text.payload, c.storedCiphertext);
          } else {
            assert.equal(text.header + text.payload, c.value);
          }
        });

        it('(e) encodePayload of the decoded entries gives the encrypted bytes (deflated the same way)', () => {
          const parsed = JSON.parse(d.plaintext_json) as Array<[Record<string, unknown>, string, string?]>;
          if (JSON.stringify(parsed) !== d.plaintext_json) return; // cjson-only spelling (e.g. \/)
          const entries: SessionEntry[] = parsed.map(([data, audience, subject]) =>
            subject === undefined ? { data, audience } : { data, audience, subject },
          );
          const deflate = (d.flags & Flags.deflate) !== 0;
          const threshold = c.vector.lua_config['compression_threshold'] ?? 1024;
          const encoded = encodePayload(entries, threshold as number);
          assert.equal(encoded.deflated, deflate);
          const expected = b64(d.encrypted_plaintext_b64url);
          if (deflate) {
            assert.equal(Buffer.from(inflateRawSync(encoded.bytes)).toString('utf8'), d.plaintext_json);
            // The vector records that zlib's raw deflate is byte-identical to what lua-ffi-zlib wrote.
            assert.equal(hex(deflateRawSync(Buffer.from(d.plaintext_json))), hex(expected));
          } else {
            assert.equal(hex(encoded.bytes), hex(expected));
          }
        });
      });
    }

    describe('timeline_touch_refresh', () => {
      const v = vector('timeline_touch_refresh');
      const steps = v.steps ?? [];
      const saved = steps[0]!;
      const firstCookie = joinedCookie(saved.set_cookie ?? []);
      const touches = steps.filter((s) => s.action.includes('touch') && (s.set_cookie?.length ?? 0) > 0);

      it('(f) retouch() of the saved header reproduces every touch', () => {
        assert.deepEqual(
          touches.map((s) => s.at - saved.at),
          [120, 900, 1700, 2500],
        );
        const first = header(firstCookie);
        assert.equal(first.idlingOffset, 0);
        const sid = first.sid;
        const { macKey, enc } = secretKeys(crypto, v.lua_config['secret'] as string, sid);
        assert.equal(verifyMac(crypto, first, macKey), true);
        for (const step of touches) {
          const offset = step.at - saved.at;
          const touched = joinedCookie(step.set_cookie ?? []);
          const out = retouch(crypto, first.bytes, offset, macKey);
          assert.equal(base64urlEncode(out), touched.slice(0, HEADER_TEXT_SIZE), `touch at +${offset}`);
          const parsed = header(touched);
          assert.equal(parsed.idlingOffset, offset);
          assert.equal(verifyMac(crypto, parsed, macKey), true);
          // A touch resends the same ciphertext: it still opens under the header's unchanged tag and AAD.
          assert.equal(touched.slice(HEADER_TEXT_SIZE), firstCookie.slice(HEADER_TEXT_SIZE));
          assert.ok(openPayload(crypto, parsed, touched.slice(HEADER_TEXT_SIZE), enc) !== null);
        }
        // retouch() copies: the saved header is untouched.
        assert.equal(base64urlEncode(first.bytes), firstCookie.slice(0, HEADER_TEXT_SIZE));
      });

      it('the touch step records the same header as Lua meta_after.header_b64', () => {
        const lua = touches[0]!['lua'] as { meta_after: { header_b64: string; idling_offset: number } };
        const first = header(firstCookie);
        const { macKey } = secretKeys(crypto, v.lua_config['secret'] as string, first.sid);
        const out = retouch(crypto, first.bytes, lua.meta_after.idling_offset, macKey);
        assert.equal(base64urlEncode(out), lua.meta_after.header_b64);
      });

      it('the rolling save mints a new sid with rolling offset 2701 that verifies and decrypts', () => {
        const rolled = steps.find((s) => s.at - saved.at === 2701)!;
        const value = joinedCookie(rolled.set_cookie ?? []);
        const h = header(value);
        assert.equal(h.creationTime, 1700000000);
        assert.equal(h.rollingOffset, 2701);
        assert.equal(h.idlingOffset, 0);
        assert.notEqual(hex(h.sid), hex(header(firstCookie).sid));
        const { macKey, enc } = secretKeys(crypto, v.lua_config['secret'] as string, h.sid);
        assert.equal(verifyMac(crypto, h, macKey), true);
        const plain = openPayload(crypto, h, value.slice(HEADER_TEXT_SIZE), enc);
        assert.ok(plain !== null);
        assert.ok(decodePayload(plain, false, LIMIT) !== null);
      });
    });

    describe('fallback_rotation', () => {
      const v = vector('fallback_rotation');
      const response = joinedCookie(v.response?.set_cookie ?? []);
      const afterSave = joinedCookie(v.after_save?.set_cookie ?? []);

      it('(g) the response cookie verifies with SHA-256("RaJKp8UQW1") only, and decrypts with it', () => {
        const h = header(response);
        assert.equal(verifyMac(crypto, h, secretKeys(crypto, 'RaJKp8UQW1', h.sid).macKey), true);
        assert.equal(verifyMac(crypto, h, secretKeys(crypto, 'NewSecret-2', h.sid).macKey), false);
        assert.equal(verifyMac(crypto, h, secretKeys(crypto, 'Old-1', h.sid).macKey), false);
        const plain = openPayload(crypto, h, response.slice(HEADER_TEXT_SIZE), secretKeys(crypto, 'RaJKp8UQW1', h.sid).enc);
        assert.ok(plain !== null);
        assert.equal(
          openPayload(crypto, h, response.slice(HEADER_TEXT_SIZE), secretKeys(crypto, 'NewSecret-2', h.sid).enc),
          null,
        );
        const entries = decodePayload(plain, (h.flags & Flags.deflate) !== 0, LIMIT);
        assert.deepEqual(entries?.find((e) => e.audience === 'my_application')?.data, v.lua_open?.data);
      });

      it('(g) the re-saved cookie verifies with SHA-256("NewSecret-2") only', () => {
        const h = header(afterSave);
        assert.notEqual(hex(h.sid), hex(header(response).sid));
        assert.equal(verifyMac(crypto, h, secretKeys(crypto, 'NewSecret-2', h.sid).macKey), true);
        assert.equal(verifyMac(crypto, h, secretKeys(crypto, 'RaJKp8UQW1', h.sid).macKey), false);
        const plain = openPayload(crypto, h, afterSave.slice(HEADER_TEXT_SIZE), secretKeys(crypto, 'NewSecret-2', h.sid).enc);
        assert.ok(plain !== null);
        const entries = decodePayload(plain, (h.flags & Flags.deflate) !== 0, LIMIT);
        assert.deepEqual(entries?.find((e) => e.audience === 'my_application')?.data, v.lua_open?.data);
      });
    });
  });
}
