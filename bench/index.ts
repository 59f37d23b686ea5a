/**
 * `npm run bench`: micro-benchmarks of the per-request work, for both crypto backends.
 *
 * - open+save: a request that opens a session from its cookie, changes one attribute and saves it
 *   (cookie storage: derive keys, verify, decrypt, parse, then seal under a fresh id);
 * - open+refresh: a read-only request (nothing due, so nothing is sent);
 * - aes-gcm: encrypt + decrypt of 100 bytes under a fresh key, the reference figure of the core issue.
 *
 * Rounds are interleaved (A B A B ...) and the median is reported, so that machine noise hits every case
 * alike. Not part of `npm test`.
 */
import { createNodeCrypto, nobleCrypto, type CryptoBackend } from '../src/codec/crypto.ts';
import { createSessionManager, type HttpExchange } from '../src/index.ts';
import * as nodeCrypto from 'node:crypto';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const secret = 'bench-secret-bench-secret-bench-secret';

function exchange(cookie: string | undefined, sink: { cookie?: string }): HttpExchange {
  return {
    cookieHeader: () => cookie,
    requestHeader: () => undefined,
    remoteAddress: () => '127.0.0.1',
    scheme: () => 'http',
    setCookie(_name, line) {
      sink.cookie = line.slice(0, line.indexOf(';'));
    },
    assertWritable() {},
    setResponseHeader() {},
    setRequestHeader() {},
  };
}

type Case = { name: string; run: () => Promise<void> | void };

async function makeCases(backend: 'node' | 'noble'): Promise<Case[]> {
  const sessions = createSessionManager<{ visits: number }>({ secret, crypto: backend });
  const sink: { cookie?: string } = {};
  const first = await sessions.open(exchange(undefined, sink));
  first.set('visits', 0);
  await first.save();
  let cookie = sink.cookie!;
  const readOnlyCookie = cookie;
  const crypto: CryptoBackend = backend === 'node' ? createNodeCrypto(nodeCrypto) : nobleCrypto;
  const data = nodeCrypto.randomBytes(100);
  const aad = nodeCrypto.randomBytes(47);
  return [
    {
      name: `open+save (${backend})`,
      async run() {
        const session = await sessions.open(exchange(cookie, sink));
        session.set('visits', (session.get('visits') ?? 0) + 1);
        await session.save();
        cookie = sink.cookie!;
      },
    },
    {
      name: `open+refresh, read-only (${backend})`,
      async run() {
        const session = await sessions.start(exchange(readOnlyCookie, sink));
        if (session.get('visits') === undefined) throw new Error('lost session');
      },
    },
    {
      name: `aes-gcm 100 B, fresh key (${backend})`,
      run() {
        const key = nodeCrypto.randomBytes(32);
        const iv = nodeCrypto.randomBytes(12);
        const sealed = crypto.encrypt(key, iv, data, aad);
        if (crypto.decrypt(key, iv, sealed.ciphertext, sealed.tag, aad) === null) throw new Error('decrypt failed');
      },
    },
  ];
}

async function measure(c: Case, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++) await c.run();
    n += 50;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / n; // µs per op
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const cases = [...(await makeCases('node')), ...(await makeCases('noble'))];
for (const c of cases) await measure(c, 100); // warm-up
const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) for (const c of cases) samples.get(c.name)!.push(await measure(c, ROUND_MS));

console.log(`httpsession micro-benchmarks: node ${process.version}, ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, medians`);
console.log('| case | µs/op | ops/s |');
console.log('|---|---:|---:|');
for (const c of cases) {
  const us = median(samples.get(c.name)!);
  console.log(`| ${c.name} | ${us.toFixed(1)} | ${Math.round(1e6 / us).toLocaleString('en-US')} |`);
}
