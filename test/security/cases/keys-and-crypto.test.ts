/**
 * Security checklist section 6, cases 43-46 (keys and crypto): secret rotation with fallbacks and
 * re-sealing, a missing secret failing at init (a short one warns), (key, IV) uniqueness over tens of
 * thousands of seals with `touch()` never encrypting, and length-safe constant-time comparison of MACs and
 * tags, checked at run time and statically over src/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { constantTimeEqual, createNodeCrypto, nobleCrypto, type CryptoBackend } from '../../../src/codec/crypto.ts';
import { deriveMacKey } from '../../../src/codec/keys.ts';
import { parseHeader, verifyMac } from '../../../src/codec/seal.ts';
import { createSessionManager } from '../../../src/manager.ts';
import type { SessionOptions } from '../../../src/options.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import { assertNoSession, bed, COOKIE, cookieValue, hex, HEADER_TEXT_SIZE, issue, materialOf, OTHER_SECRET, SECRET, visit, visitNode } from './support.ts';

const OLD = 'rotation-old-secret-0123456789abcdefghijklmnop';
const NEW = 'rotation-new-secret-0123456789abcdefghijklmnop';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('security checklist 6, cases 43-46: keys and crypto', () => {
  it('case 43: an old key is accepted while in the fallbacks and re-sealed under the primary on save; once removed → unauthenticated', async () => {
    const ikm = (s: string): Uint8Array => materialOf(s).ikm;
    for (const [label, store] of [['cookie storage', undefined], ['memory store', memoryStorage()]] as const) {
      const b = bed(store === undefined ? {} : { storage: store });
      for (const [old, rotated, current] of [
        [{ secret: OLD }, { secret: NEW, secretFallbacks: [OLD] }, { secret: NEW }],
        [{ ikm: ikm(OLD) }, { ikm: ikm(NEW), ikmFallbacks: [ikm(OLD)] }, { ikm: ikm(NEW) }],
      ] as Array<[SessionOptions, SessionOptions, SessionOptions]>) {
        const [mOld, mRotated, mCurrent] = [b.manager(old), b.manager(rotated), b.manager(current)];
        const cookie = await issue(mOld, { user: 'alice' });
        b.take();
        const v = await visit(mRotated, cookie);
        assert.equal(v.session.get('user'), 'alice', `${label}: the fallback key opens it`);
        assert.deepEqual(b.take(), []);
        await v.session.save();
        const resealed = v.cookie()!;
        assert.equal((await visit(mCurrent, resealed)).session.get('user'), 'alice', `${label}: re-sealed under the primary`);
        assertNoSession(await visit(mOld, resealed), `${label}: not under the old key any more`);
        // The old key removed: no session, and one reason whichever key failed (no oracle on which).
        const foreign = await issue(b.manager({ secret: OTHER_SECRET }), { user: 'mallory' });
        const tamperedNew = `${COOKIE}=${cookieValue(resealed).slice(0, 70)}${cookieValue(resealed)[70] === 'A' ? 'B' : 'A'}${cookieValue(resealed).slice(71)}`;
        b.take();
        for (const c of [cookie, foreign, tamperedNew]) assertNoSession(await visit(mCurrent, c), label);
        const events = b.take();
        assert.deepEqual(events.map((e) => e.reason), ['unauthenticated', 'unauthenticated', 'unauthenticated'], label);
        assert.equal(new Set(events.map((e) => e.detail)).size, 1, `${label}: the same detail for every failing key`);
      }
    }
  });

  it('case 44: a missing, empty, undefined or null secret → TypeError at init; there is no random default', () => {
    for (const options of [{}, { secret: undefined }, { secret: null }, { secret: '' }, { secret: undefined, ikm: undefined }, { secret: 42 }, { secret: ['x'.repeat(40)] }]) {
      assert.throws(() => createSessionManager(options as SessionOptions), (err: unknown) => err instanceof TypeError && /"secret"/.test(err.message), JSON.stringify(options));
    }
    for (const ikm of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33)]) {
      assert.throws(() => createSessionManager({ ikm }), (err: unknown) => err instanceof RangeError && /"ikm"/.test(err.message));
    }
  });

  it('case 44: a short secret (< 32 characters) is accepted with a warning that does not contain it', () => {
    // In a fresh process: the warning is given once per process.
    const code = `
      const { createSessionManager } = await import(${JSON.stringify(join(ROOT, 'src/index.ts'))});
      const warnings = [];
      const logger = { warn: (m) => warnings.push(String(m)) };
      createSessionManager({ secret: ${JSON.stringify(SECRET)}, logger });
      const longWarned = warnings.length;
      const m = createSessionManager({ secret: 'sh0rt-S3cret-value', logger });
      const h = new Headers();
      const s = await m.open(new Request('https://example.com/'), h);
      s.set('n', 1);
      await s.save();
      const again = await m.open(new Request('https://example.com/', { headers: { cookie: h.getSetCookie()[0].split(';')[0] } }), new Headers());
      console.log(JSON.stringify({ longWarned, warnings, n: again.get('n') }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    const { longWarned, warnings, n } = JSON.parse(out.trim().split('\n').at(-1)!) as { longWarned: number; warnings: string[]; n: number };
    assert.equal(longWarned, 0, 'a 32+ character secret does not warn');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /"secret" is 18 characters; use at least 32/);
    assert.ok(!warnings[0]!.includes('sh0rt-S3cret-value'));
    assert.equal(n, 1, 'and sessions work with it');
  });

  it('case 45: ≥ 2e4 saves, touches and refreshes → every (key, IV) pair, ciphertext and id distinct; touch never encrypts', async () => {
    const inner = createNodeCrypto(nodeCrypto);
    const pairs = new Set<string>();
    const ciphertexts = new Set<string>();
    let encrypts = 0;
    const recording: CryptoBackend = {
      ...inner,
      encrypt(key, iv, plaintext, aad) {
        const out = inner.encrypt(key, iv, plaintext, aad);
        encrypts++;
        pairs.add(`${hex(key)}:${hex(iv)}`);
        ciphertexts.add(hex(out.ciphertext) + hex(out.tag));
        return out;
      },
    };
    const b = bed({ crypto: recording, absoluteTimeout: 0 });
    const m = b.manager();
    const v = await visit(m);
    v.session.set('same', 'plaintext every time');
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      await v.session.save();
      ids.add(v.session.id);
    }
    assert.equal(encrypts, 10_000);
    for (let i = 0; i < 5_000; i++) {
      b.clock.advance(1);
      assert.equal(v.session.touch(), true);
    }
    assert.equal(encrypts, 10_000, 'touch() re-MACs the header, it never re-encrypts');
    const outcomes = { saved: 0, touched: 0, none: 0 };
    for (let i = 0; i < 5_000; i++) {
      b.clock.advance(61);
      const before: number = encrypts;
      const what = await v.session.refresh();
      outcomes[what]++;
      assert.equal(encrypts - before, what === 'saved' ? 1 : 0, `refresh '${what}'`);
      if (what === 'saved') ids.add(v.session.id);
    }
    assert.ok(outcomes.saved > 50 && outcomes.touched > 4000, JSON.stringify(outcomes));
    const remember = await visit(bed({ crypto: recording, remember: true, rememberSafety: 'low' }).manager());
    remember.session.set('same', 'plaintext every time');
    for (let i = 0; i < 200; i++) await remember.session.save(); // session + remember cookie (PBKDF2 key and IV)
    assert.ok(encrypts >= 10_000 + outcomes.saved + 400);
    assert.equal(pairs.size, encrypts, 'no (key, IV) pair was used twice');
    assert.equal(ciphertexts.size, encrypts, 'no ciphertext repeats');
    assert.equal(ids.size, 10_000 + outcomes.saved, 'every save minted a new id');
  });

  it('case 46: a MAC or tag of the wrong length never throws and never authenticates', async () => {
    const a = nodeCrypto.randomBytes(16);
    assert.equal(constantTimeEqual(a, a.subarray(0, 15)), false);
    assert.equal(constantTimeEqual(a, new Uint8Array(0)), false);
    assert.equal(constantTimeEqual(a, Buffer.concat([a, Buffer.from([0])])), false);
    assert.equal(constantTimeEqual(a, Uint8Array.from(a)), true);
    assert.throws(() => nodeCrypto.timingSafeEqual(a, a.subarray(0, 15)), /ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH|same byte length/, 'why a length check must come first');

    const m = bed().manager();
    const value = cookieValue(await issue(m));
    const header = parseHeader(value)!;
    const macKey = deriveMacKey(createNodeCrypto(nodeCrypto), materialOf(SECRET), header.sid);
    assert.equal(verifyMac(createNodeCrypto(nodeCrypto), header, macKey), true, 'the untouched header verifies');
    for (const mac of [header.mac.subarray(0, 15), header.mac.subarray(0, 0), Buffer.concat([header.mac, Buffer.from([0])]), new Uint8Array(32)]) {
      assert.equal(verifyMac(createNodeCrypto(nodeCrypto), { ...header, mac }, macKey), false, `mac of ${mac.length} bytes`);
    }
    for (const backend of [createNodeCrypto(nodeCrypto), nobleCrypto]) {
      const key = nodeCrypto.randomBytes(32);
      const iv = nodeCrypto.randomBytes(12);
      const sealed = backend.encrypt(key, iv, Buffer.from('data'), Buffer.from('aad'));
      assert.deepEqual(Buffer.from(backend.decrypt(key, iv, sealed.ciphertext, sealed.tag, Buffer.from('aad'))!), Buffer.from('data'));
      for (const tag of [sealed.tag.subarray(0, 15), sealed.tag.subarray(0, 12), sealed.tag.subarray(0, 0), Buffer.concat([sealed.tag, Buffer.from([0])]), new Uint8Array(32)]) {
        assert.equal(backend.decrypt(key, iv, sealed.ciphertext, tag, Buffer.from('aad')), null, `${backend.name}: tag of ${tag.length} bytes`);
      }
    }
    // Cookies whose header (and so its MAC) is cut short: no session, no throw.
    for (let k = 1; k <= 22; k++) {
      for (const cut of [value.slice(0, HEADER_TEXT_SIZE - k), value.slice(0, HEADER_TEXT_SIZE - k) + value.slice(HEADER_TEXT_SIZE)]) {
        assertNoSession(await visitNode(m, `${COOKIE}=${cut}`), `header short by ${k}`);
      }
    }
  });

  it('case 46: statically, no MAC or tag in src/ is compared with ===, !==, .equals(, timingSafeEqual or Buffer.compare', () => {
    /** An operand naming a MAC or tag (`header.mac`, `authTag`, `macKey`...), not an `hmac` function or a length. */
    const mentions = (x: string): boolean => {
      const last = x.split('.').at(-1)!;
      return !x.endsWith('.length') && /mac|tag/i.test(last) && !/^hmac/i.test(last);
    };
    /** The offending lines of a source text (comments stripped; length and presence checks allowed). */
    const offences = (text: string): string[] => {
      const out: string[] = [];
      const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
      for (const raw of code.split('\n')) {
        const line = raw.replace(/\/\/.*$/, '').replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "''");
        if (/\b\w*(mac|tag)\w*\b[^;]*\.equals\(|\.equals\([^)]*\b\w*(mac|tag)\w*\b|timingSafeEqual|Buffer\.compare/i.test(line)) out.push(raw.trim());
        for (const m of line.matchAll(/([\w.$[\]]+)\s*(?:===|!==|==|!=)\s*([\w.$[\]]+)/g)) {
          const [left, right] = [m[1]!, m[2]!];
          const presence = (x: string): boolean => x === 'undefined' || x === 'null';
          if ((mentions(left) && !presence(right)) || (mentions(right) && !presence(left))) out.push(raw.trim());
        }
      }
      return [...new Set(out)];
    };
    // The checker itself catches what it must.
    const bad = ['if (header.mac === expected) ok();', 'return computed.equals(tag);', 'crypto.timingSafeEqual(a, mac)', 'if (authTag !== t) x();', 'Buffer.compare(mac, m) === 0'];
    for (const line of bad) assert.equal(offences(line).length, 1, line);
    for (const line of ['if (tag.length !== 16) return null;', 'if (macKey === undefined) return;', 'return constantTimeEqual(computeMac(c, k, h), header.mac);', 'const ok = hmac(sha256, key, data) === x;']) {
      assert.deepEqual(offences(line), [], line);
    }
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const sources = files(join(ROOT, 'src'));
    assert.ok(sources.length > 20);
    const found = sources.flatMap((f) => offences(readFileSync(f, 'utf8')).map((l) => `${f.slice(ROOT.length)}: ${l}`));
    assert.deepEqual(found, []);
    const seal = readFileSync(join(ROOT, 'src/codec/seal.ts'), 'utf8');
    assert.match(seal, /return constantTimeEqual\(computeMac\(crypto, macKey, header\.bytes, binding\), header\.mac\);/, 'the MAC is compared in constant time');
  });
});
