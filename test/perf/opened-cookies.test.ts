/**
 * The opened-cookie cache (reader.ts): a cookie that opened once opens again without the MAC check, key
 * derivation and decryption, but only for the exact same header, payload and client binding, under the
 * same manager; the timeouts, flags and store record are checked on every open, and every open gets
 * objects of its own.
 */
import * as nodeCrypto from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNodeCrypto, type CryptoBackend } from '../../src/codec/crypto.ts';
import { HEADER_TEXT_SIZE } from '../../src/codec/header.ts';
import { deriveEncryptionKey, deriveMacKey } from '../../src/codec/keys.ts';
import { bindDigest, seal, sealedText } from '../../src/codec/seal.ts';
import { luaRestySessionCookie, resolveOptions, type ResolvedOptions, type SessionOptions } from '../../src/options.ts';
import {
  cacheOpenedCookie,
  cachedCookieCount,
  clearCookieCache,
  openCookie,
  OPENED_COOKIES_MAX_ENTRIES,
  type OpenContext,
  type OpenResult,
} from '../../src/reader.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import type { Storage } from '../../src/storage/types.ts';
import { bed, Client, quiet, SECRET, T0, UA, visit } from '../helpers/session.ts';

/** node:crypto, counting the MAC computations and decryptions a test can then expect to be skipped. */
function countingCrypto(): CryptoBackend & { counts: { hmac: number; decrypt: number } } {
  const inner = createNodeCrypto(nodeCrypto);
  const counts = { hmac: 0, decrypt: 0 };
  return {
    ...inner,
    counts,
    hmacSha256(key, data, more) {
      counts.hmac++;
      return inner.hmacSha256(key, data, more);
    },
    decrypt(key, iv, ciphertext, tag, aad) {
      counts.decrypt++;
      return inner.decrypt(key, iv, ciphertext, tag, aad);
    },
  };
}

/** The reader's options for the bed's secret, with a counting backend. */
function reader(extra: SessionOptions = {}): { o: ResolvedOptions; counts: { hmac: number; decrypt: number } } {
  const crypto = countingCrypto();
  const o = resolveOptions({ secret: SECRET, logger: quiet, cookie: luaRestySessionCookie, crypto, ...extra });
  crypto.counts.hmac = 0; // the key material's own HKDF-Extract
  return { o, counts: crypto.counts };
}

function ctx(now: number, binding?: Uint8Array, kind: 'session' | 'remember' = 'session'): OpenContext {
  return { kind, now, chunk: () => undefined, binding: () => binding };
}

/** Issues a session cookie holding `data` (cookie storage unless `options` say otherwise). */
async function issue(data: Record<string, unknown>, options: SessionOptions = {}): Promise<string> {
  const m = bed().manager(options);
  const client = new Client();
  await visit(client, m, async (s) => {
    for (const [k, v] of Object.entries(data)) s.set(k, v);
    await s.save();
  });
  return client.jar.get('session')!;
}

function opened(result: OpenResult): NonNullable<OpenResult['cookie']> {
  assert.ok(result.ok, `expected the cookie to open, got ${result.ok ? '' : `${result.reason}: ${result.detail}`}`);
  return result.cookie;
}

describe('opened-cookie cache', () => {
  it('a save records the cookie it sealed and drops the one it replaced', async () => {
    const crypto = countingCrypto();
    const m = bed().manager({ crypto });
    const client = new Client();
    await visit(client, m, async (s) => {
      s.set('n', 1);
      await s.save();
    });
    const first = client.jar.get('session')!;
    crypto.counts.decrypt = 0;
    await visit(client, m, async (s) => {
      assert.equal(s.get('n'), 1);
      s.set('n', 2);
      await s.save();
    });
    assert.equal(crypto.counts.decrypt, 0, 'the cookie the first save sealed opened from the cache');
    await visit(client, m, (s) => assert.equal(s.get('n'), 2));
    assert.equal(crypto.counts.decrypt, 0, 'and so did the one the second save sealed');
    // The replaced cookie is no longer cached: presented again, it is verified in full (and still opens).
    await visit(new Client(`session=${first}`), m, (s) => assert.equal(s.get('n'), 1));
    assert.equal(crypto.counts.decrypt, 1, 'the replaced cookie was decrypted again');
  });

  it('a second open of the same cookie skips the MAC, the key derivation and the decryption', async () => {
    const value = await issue({ n: 1 });
    const { o, counts } = reader();
    const first = opened(await openCookie(o, value, ctx(T0)));
    assert.ok(counts.hmac > 0 && counts.decrypt === 1);
    assert.equal(cachedCookieCount(o), 1);
    counts.hmac = 0;
    counts.decrypt = 0;
    const second = opened(await openCookie(o, value, ctx(T0 + 1)));
    assert.deepEqual(counts, { hmac: 0, decrypt: 0 });
    assert.deepEqual(second.entries, first.entries);
    assert.equal(second.keyIndex, first.keyIndex);
    assert.deepEqual(second.macKey, first.macKey);
    assert.equal(second.payload, first.payload);
    assert.deepEqual(second.header.bytes, first.header.bytes);
    clearCookieCache(o);
    assert.equal(cachedCookieCount(o), 0);
    opened(await openCookie(o, value, ctx(T0 + 1)));
    assert.equal(counts.decrypt, 1, 'after clearing, the full path runs again');
  });

  it('a hit still rejects an expired cookie', async () => {
    const value = await issue({ n: 1 });
    const { o, counts } = reader({ idlingTimeout: 60 });
    opened(await openCookie(o, value, ctx(T0)));
    counts.decrypt = 0;
    const late = await openCookie(o, value, ctx(T0 + 61));
    assert.equal(late.ok, false);
    assert.equal(!late.ok && late.reason, 'expired');
    assert.equal(!late.ok && late.detail, 'session idling timeout exceeded');
    assert.equal(counts.decrypt, 0, 'it was a hit');
    // And a cookie from the future is refused on a hit too.
    const early = await openCookie(o, value, ctx(T0 - 3600));
    assert.equal(!early.ok && early.reason, 'expired');
  });

  it('a hit still applies the per-session timeouts parsed from the data', async () => {
    const m = bed().manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.setIdlingTimeout(10);
      await s.save();
    });
    const value = client.jar.get('session')!;
    const { o } = reader();
    opened(await openCookie(o, value, ctx(T0)));
    const r = await openCookie(o, value, ctx(T0 + 11));
    assert.equal(!r.ok && r.reason, 'expired');
  });

  it('a tampered value never hits, and is never cached', async () => {
    const value = await issue({ n: 1 });
    const { o, counts } = reader();
    opened(await openCookie(o, value, ctx(T0)));
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    // The payload: the header still hits (its MAC was checked), the ciphertext does not match, so it is
    // decrypted, and fails.
    for (const i of [HEADER_TEXT_SIZE, value.length - 2]) {
      counts.decrypt = 0;
      const r = await openCookie(o, flip(value, i), ctx(T0));
      assert.equal(!r.ok && r.reason, 'tampered', `payload character ${i}`);
      assert.equal(counts.decrypt, 1);
    }
    // The header: another cache key, so the MAC is computed, and fails.
    for (const i of [5, 60, 100]) {
      counts.hmac = 0;
      const r = await openCookie(o, flip(value, i), ctx(T0));
      assert.equal(r.ok, false, `header character ${i}`);
      if (!r.ok && r.reason === 'unauthenticated') assert.ok(counts.hmac > 0);
    }
    // Truncated and extended values.
    for (const v of [value.slice(0, -1), `${value}A`]) assert.equal((await openCookie(o, v, ctx(T0))).ok, false);
    assert.equal(cachedCookieCount(o), 1, 'only the genuine cookie is cached');
    counts.decrypt = 0;
    opened(await openCookie(o, value, ctx(T0)));
    assert.equal(counts.decrypt, 0, 'the genuine cookie still hits');
  });

  it('a hit still checks the client binding', async () => {
    const value = await issue({ n: 1 }, { bind: ['userAgent'] });
    const { o, counts } = reader({ bind: ['userAgent'] });
    const mine = bindDigest(o.crypto, [undefined, undefined, UA]);
    const other = bindDigest(o.crypto, [undefined, undefined, 'other-agent/2.0']);
    opened(await openCookie(o, value, ctx(T0, mine)));
    counts.hmac = 0;
    const stolen = await openCookie(o, value, ctx(T0, other));
    assert.equal(!stolen.ok && stolen.reason, 'unauthenticated');
    assert.ok(counts.hmac > 0, 'another binding is not a hit: the MAC is checked, and fails');
    const unbound = await openCookie(o, value, ctx(T0, undefined));
    assert.equal(!unbound.ok && unbound.reason, 'unauthenticated');
    counts.decrypt = 0;
    opened(await openCookie(o, value, ctx(T0, mine)));
    assert.equal(counts.decrypt, 0);
  });

  it('is per manager: another secret, or server-side storage, never uses it', async () => {
    const value = await issue({ n: 1 });
    const { o } = reader();
    opened(await openCookie(o, value, ctx(T0)));
    const other = reader({ secret: 'another-secret-entirely-0123456789abcdef' });
    const r = await openCookie(other.o, value, ctx(T0));
    assert.equal(!r.ok && r.reason, 'unauthenticated');
    const stored = reader({ storage: memoryStorage() });
    const s = await openCookie(stored.o, value, ctx(T0));
    assert.equal(!s.ok && s.reason, 'flags');
  });

  it('keeps session and remember cookies apart', async () => {
    const value = await issue({ n: 1 });
    const { o, counts } = reader();
    opened(await openCookie(o, value, ctx(T0)));
    counts.hmac = 0;
    const r = await openCookie(o, value, ctx(T0, undefined, 'remember'));
    assert.equal(r.ok, false, 'a session cookie is no remember cookie (its key comes from PBKDF2)');
    assert.ok(counts.hmac > 0);
  });

  it('every open gets objects of its own: changing one session changes no other', async () => {
    const value = await issue({ n: 1, nested: { list: [1, 2] } });
    const { o } = reader();
    const a = opened(await openCookie(o, value, ctx(T0)));
    const b = opened(await openCookie(o, value, ctx(T0)));
    assert.notEqual(a.entries, b.entries);
    assert.notEqual(a.entries[0]!.data, b.entries[0]!.data);
    assert.notEqual(a.macKey, b.macKey);
    assert.notEqual(a.header.bytes, b.header.bytes);
    (a.entries[0]!.data.nested as { list: number[] }).list.push(3);
    a.entries[0]!.data.n = 99;
    a.macKey.fill(0);
    a.header.bytes.fill(0);
    const c = opened(await openCookie(o, value, ctx(T0)));
    assert.deepEqual(c.entries[0]!.data, { n: 1, nested: { list: [1, 2] } });
    assert.deepEqual(c.macKey, b.macKey);
    assert.deepEqual(c.header.bytes, b.header.bytes);
  });

  it('through the manager: two requests with the same cookie do not share data', async () => {
    const b = bed();
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.set('cart', ['apple']);
      await s.save();
    });
    const one = await client.clone().open(m);
    const two = await client.clone().open(m);
    (one.session.get('cart') as string[]).push('pear');
    one.session.set('n', 1);
    assert.deepEqual(two.session.get('cart'), ['apple']);
    assert.equal(two.session.get('n'), undefined);
    const three = await client.clone().open(m);
    assert.deepEqual(three.session.get('cart'), ['apple']);
  });

  it('with server-side storage, the record is read on every open: deleted or replaced, it is not served', async () => {
    const storage = memoryStorage();
    const value = await issue({ n: 1 }, { storage });
    const { o, counts } = reader({ storage });
    opened(await openCookie(o, value, ctx(T0)));
    counts.decrypt = 0;
    opened(await openCookie(o, value, ctx(T0)));
    assert.equal(counts.decrypt, 0, 'same header, same record: a hit');

    // Another ciphertext of the same length under the same key: the MAC hit stands, the payload does not.
    const key = opened(await openCookie(o, value, ctx(T0))).storageKey!;
    const record = (await storage.get('session', key, T0))!;
    const payload = (JSON.parse(record) as string[])[0]!;
    const forged = payload.slice(0, 4) + (payload[4] === 'A' ? 'B' : 'A') + payload.slice(5);
    await storage.set({ namespace: 'session', key, value: JSON.stringify([forged]), ttl: 3600, now: T0 });
    const r = await openCookie(o, value, ctx(T0));
    assert.equal(!r.ok && r.reason, 'tampered');
    await storage.set({ namespace: 'session', key, value: record, ttl: 3600, now: T0 });
    opened(await openCookie(o, value, ctx(T0)));

    await storage.delete('session', key, T0);
    const gone = await openCookie(o, value, ctx(T0));
    assert.equal(!gone.ok && gone.reason, 'not-found');
  });

  it('a failing store still rejects on a hit', async () => {
    const inner = memoryStorage();
    let failing = false;
    const storage: Storage = {
      name: 'flaky',
      set: (input) => inner.set(input),
      delete: (namespace, key, now) => inner.delete(namespace, key, now),
      get: async (namespace, key, now) => {
        if (failing) throw new Error('down');
        return inner.get(namespace, key, now);
      },
    };
    const value = await issue({ n: 1 }, { storage });
    const { o } = reader({ storage });
    opened(await openCookie(o, value, ctx(T0)));
    failing = true;
    await assert.rejects(openCookie(o, value, ctx(T0)), (e: unknown) => (e as { code?: string }).code === 'STORAGE_ERROR');
  });

  it('is bounded', async () => {
    const { o } = reader();
    for (let i = 0; i < OPENED_COOKIES_MAX_ENTRIES + 100; i++) {
      const header = `${String(i).padStart(10, '0')}${'A'.repeat(HEADER_TEXT_SIZE - 10)}`;
      cacheOpenedCookie(o, 'session', { header, payload: 'payload', macKey: new Uint8Array(32), binding: undefined }, '[[{},"default"]]');
      assert.ok(cachedCookieCount(o) <= OPENED_COOKIES_MAX_ENTRIES);
    }
    const count = cachedCookieCount(o);
    assert.ok(count >= OPENED_COOKIES_MAX_ENTRIES / 2, `${count} cached`);
    cacheOpenedCookie(o, 'session', { header: 'too short', payload: 'payload', macKey: new Uint8Array(32), binding: undefined }, '[]');
    assert.equal(cachedCookieCount(o), count, 'only 110-character headers are cached');
    // And bounded in characters: a few large payloads push the oldest out.
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 40; i++) {
      cacheOpenedCookie(o, 'remember', { header: `${String(i).padStart(10, '0')}${'B'.repeat(HEADER_TEXT_SIZE - 10)}`, payload: big, macKey: new Uint8Array(32), binding: undefined }, big);
    }
    assert.ok(cachedCookieCount(o) < count + 40);
  });

  it('a cookie recorded at save time opens without the MAC check or decryption', async () => {
    const m = bed().manager();
    const client = new Client();
    let json = '';
    await visit(client, m, async (s) => {
      s.set('n', 7);
      await s.save();
      json = JSON.stringify([[{ n: 7 }, s.audience]]);
    });
    const value = client.jar.get('session')!;
    const { o, counts } = reader();
    const macKey = opened(await openCookie(resolveOptions({ secret: SECRET, logger: quiet, cookie: luaRestySessionCookie }), value, ctx(T0))).macKey;
    cacheOpenedCookie(o, 'session', { header: value.slice(0, HEADER_TEXT_SIZE), payload: value.slice(HEADER_TEXT_SIZE), macKey, binding: undefined }, json);
    const r = opened(await openCookie(o, value, ctx(T0)));
    assert.deepEqual(counts, { hmac: 0, decrypt: 0 });
    assert.deepEqual(r.entries[0]!.data, { n: 7 });
  });

  it('an authenticated cookie whose plaintext is not a session is refused every time, and never cached', async () => {
    const { o, counts } = reader();
    const material = o.keys[0]!;
    for (const plaintext of ['not json', '[]', '[[1,"default"]]', `[[${'['.repeat(600)}${']'.repeat(600)},"default"]]`]) {
      const sid = nodeCrypto.randomBytes(32);
      const sealed = sealedText(
        seal(
          o.crypto,
          { flags: 0, sid, creationTime: T0, rollingOffset: 0, idlingOffset: 0, plaintext: new TextEncoder().encode(plaintext) },
          deriveEncryptionKey(o.crypto, material, sid),
          deriveMacKey(o.crypto, material, sid),
        ),
      );
      for (let i = 0; i < 2; i++) {
        counts.decrypt = 0;
        const r = await openCookie(o, sealed.header + sealed.payload, ctx(T0));
        assert.equal(!r.ok && r.reason, 'malformed', plaintext.slice(0, 20));
        assert.equal(counts.decrypt, 1, 'decrypted again: nothing was cached');
      }
    }
    assert.equal(cachedCookieCount(o), 0);
  });
});
