/**
 * Micro-benchmarks of the codec, on both crypto backends: what one cookie costs to seal and to open at
 * 100 B, 1 KiB and 4 KiB of session JSON (and with deflate), and what key derivation costs.
 *
 * - seal: encode the JSON, derive the session id's keys (HKDF), AES-256-GCM, header MAC, base64url:
 *   everything a save does to a cookie;
 * - open: decode the header, derive the MAC key, verify, derive the AES key, decrypt, inflate, parse:
 *   everything a request with a cookie the process has not seen before does before the handler sees its
 *   data (the derived-key cache is emptied before each open, so the keys are really derived);
 * - keys: the two HKDF-Expand calls per session id (a new id each time, as a save does); key material:
 *   SHA-256 of the secret and HKDF-Extract, done once per secret when the manager is created;
 * - manager: a whole request's session work without HTTP (a stub exchange), with every cache of the real
 *   path: open + save (cookie storage, then the memory store), and a read-only `start()` (open + refresh,
 *   nothing due).
 *
 * Rounds are interleaved (every case once per round) and the median per case is reported.
 *
 * @module
 */
import * as nodeCrypto from 'node:crypto';
import { createNodeCrypto, nobleCrypto, type CryptoBackend } from '../src/codec/crypto.ts';
import { Flags, HEADER_TEXT_SIZE } from '../src/codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, ikmFromSecret, keyMaterial, type KeyMaterial } from '../src/codec/keys.ts';
import { decodePayload, encodePayload, type SessionEntry } from '../src/codec/payload.ts';
import { openPayload, parseHeader, seal, sealedText, verifyMac } from '../src/codec/seal.ts';
import { createSessionManager, type HttpExchange } from '../src/index.ts';
import { memoryStorage } from '../src/storage/memory.ts';
import { median } from './stats.ts';

/** Settings of {@link runMicro}. */
export interface MicroOptions {
  readonly rounds: number;
  /** Minimum time per case and round; 0 runs exactly one batch. */
  readonly roundMs: number;
  /** Operations timed together between clock reads. Default 50. */
  readonly batch?: number;
  readonly log?: (line: string) => void;
  /** Which cases to run (default all): the pinned mode runs only the manager cases on node:crypto. */
  readonly select?: (backend: 'node' | 'noble', operation: string) => boolean;
  /**
   * What is timed: wall-clock time (default), or this process's CPU time (user + system, as the HTTP
   * servers' figures are), which a neighbour sharing the core does not inflate (the pinned mode).
   */
  readonly clock?: 'wall' | 'cpu';
}

/** One case's median. */
export interface MicroResult {
  readonly backend: 'node' | 'noble';
  /** e.g. `seal`, `open`, `keys`. */
  readonly operation: string;
  /** e.g. `1 KiB`, `4 KiB, deflated to 1.2 KiB`. */
  readonly size: string;
  readonly microsPerOp: number;
}

interface Case {
  readonly backend: 'node' | 'noble';
  readonly operation: string;
  readonly size: string;
  readonly run: () => void | Promise<void>;
}

const SECRET = 'bench-secret-4f8a9c1e7b2d6e0a3c5f9b8d7e6a1c2b4d';
const INFLATE_LIMIT = 1 << 20;

/**
 * Runs the codec micro-benchmarks.
 * @param options - rounds, time per round, batch size
 * @returns the median µs per operation of every case, node backend first
 * @throws Error when a sealed cookie does not open to the same data (the benchmark would be meaningless)
 */
export async function runMicro(options: MicroOptions): Promise<MicroResult[]> {
  const cases: Case[] = [];
  for (const backend of ['node', 'noble'] as const) {
    cases.push(...codecCases(backend === 'node' ? createNodeCrypto(nodeCrypto) : nobleCrypto, backend));
    cases.push(...(await managerCases(backend)));
  }
  if (options.select !== undefined) {
    const select = options.select;
    cases.splice(0, cases.length, ...cases.filter((c) => select(c.backend, c.operation)));
  }
  const batch = options.batch ?? 50;
  const clock = options.clock === 'cpu' ? cpuMillis : () => performance.now();
  for (const c of cases) await measure(c, Math.min(options.roundMs, 50), batch, clock); // warm-up, JIT
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < cases.length; i++) samples[i]!.push(await measure(cases[i]!, options.roundMs, batch, clock));
    options.log?.(`micro: round ${round + 1}/${options.rounds} done`);
  }
  return cases.map((c, i) => ({ backend: c.backend, operation: c.operation, size: c.size, microsPerOp: median(samples[i]!) }));
}

/** This process's user + system CPU time, in milliseconds. */
function cpuMillis(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** µs per op over at least `ms` milliseconds of `clock` (at least one batch). */
async function measure(c: Case, ms: number, batch: number, clock: () => number): Promise<number> {
  let n = 0;
  const start = clock();
  let elapsed = 0;
  do {
    for (let i = 0; i < batch; i++) {
      const pending = c.run();
      if (pending !== undefined) await pending;
    }
    n += batch;
    elapsed = clock() - start;
  } while (elapsed < ms);
  return (elapsed * 1000) / n;
}

function codecCases(crypto: CryptoBackend, backend: 'node' | 'noble'): Case[] {
  const material = keyMaterial(crypto, ikmFromSecret(crypto, SECRET));
  // A session id that changes on every use, without the cost of the RNG in the figure.
  const sid = nodeCrypto.randomBytes(32);
  let counter = 0;
  const nextSid = (): Uint8Array => {
    sid.writeUInt32LE(counter++ >>> 0, 0);
    return sid;
  };
  const cases: Case[] = [
    {
      backend,
      operation: 'key material (SHA-256 + HKDF-Extract, once per secret)',
      size: '-',
      run: () => void keyMaterial(crypto, ikmFromSecret(crypto, SECRET)),
    },
    {
      backend,
      operation: 'keys (2 x HKDF-Expand, per session id)',
      size: '-',
      run() {
        const s = nextSid();
        deriveEncryptionKey(crypto, material, s);
        deriveMacKey(crypto, material, s);
      },
    },
  ];
  const payloads: Array<{ entries: SessionEntry[]; threshold: number; label: string }> = [
    { entries: randomEntries(100), threshold: 0, label: '100 B' },
    { entries: randomEntries(1024), threshold: 0, label: '1 KiB' },
    { entries: randomEntries(4096), threshold: 0, label: '4 KiB' },
    { entries: cartEntries(1024), threshold: 512, label: '1 KiB' },
    { entries: cartEntries(4096), threshold: 512, label: '4 KiB' },
  ];
  for (const { entries, threshold, label } of payloads) {
    const sealOnce = (): string => {
      const s = nextSid();
      const encoded = encodePayload(entries, threshold);
      const flags = encoded.deflated ? Flags.deflate : 0;
      const macKey = deriveMacKey(crypto, material, s);
      const key = deriveEncryptionKey(crypto, material, s);
      const sealed = seal(crypto, { flags, sid: s, creationTime: 1_700_000_000, rollingOffset: 0, idlingOffset: 0, plaintext: encoded.bytes }, key, macKey);
      const text = sealedText(sealed);
      return text.header + text.payload;
    };
    const cookie = sealOnce();
    const encoded = encodePayload(entries, threshold);
    if (openOnce(crypto, material, cookie) !== JSON.stringify(entries)) throw new Error(`micro: ${label} does not round-trip`);
    const size = encoded.deflated ? `${label}, deflated to ${kib(encoded.bytes.length)}` : label;
    cases.push({ backend, operation: 'seal', size, run: () => void sealOnce() });
    cases.push({ backend, operation: 'open', size, run: () => void openOnce(crypto, material, cookie) });
  }
  return cases;
}

/** A stub exchange: the request's cookie in, the response's session cookie out. */
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

/** A request's whole session work through the manager, without HTTP. */
async function managerCases(backend: 'node' | 'noble'): Promise<Case[]> {
  // touchThreshold: the read-only cookie is never replaced, so a long run must not make it due for a touch.
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: backend, touchThreshold: 3600 });
  const sink: { cookie?: string } = {};
  const first = await sessions.open(exchange(undefined, sink));
  first.set('n', 0);
  await first.save();
  let cookie = sink.cookie!;
  const readOnlyCookie = cookie;
  const stored = createSessionManager<{ n: number }>({ secret: SECRET, crypto: backend, storage: memoryStorage() });
  const storedSink: { cookie?: string } = {};
  await (await stored.open(exchange(undefined, storedSink))).save();
  let storedCookie = storedSink.cookie!;
  return [
    {
      backend,
      operation: 'manager: open + increment + save (cookie storage, no HTTP)',
      size: 'small',
      async run() {
        const session = await sessions.start(exchange(cookie, sink));
        session.set('n', (session.get('n') ?? 0) + 1);
        await session.save();
        cookie = sink.cookie!;
      },
    },
    {
      backend,
      operation: 'manager: open + increment + save (memory store, no HTTP)',
      size: 'small',
      async run() {
        const session = await stored.start(exchange(storedCookie, storedSink));
        session.set('n', (session.get('n') ?? 0) + 1);
        await session.save();
        storedCookie = storedSink.cookie!;
      },
    },
    {
      backend,
      operation: 'manager: start, read-only (no HTTP)',
      size: 'small',
      async run() {
        const session = await sessions.start(exchange(readOnlyCookie, sink));
        if (session.get('n') !== 0) throw new Error('micro: the read-only session lost its data');
      },
    },
  ];
}

/** Opens a cookie-storage cookie value; returns the entries as JSON (for the round-trip check). */
function openOnce(crypto: CryptoBackend, material: KeyMaterial, cookie: string): string {
  const header = parseHeader(cookie);
  if (header === null) throw new Error('micro: bad header');
  if (!verifyMac(crypto, header, deriveMacKey(crypto, material, header.sid))) throw new Error('micro: bad MAC');
  const plain = openPayload(crypto, header, cookie.slice(HEADER_TEXT_SIZE), deriveEncryptionKey(crypto, material, header.sid));
  if (plain === null) throw new Error('micro: decryption failed');
  const entries = decodePayload(plain, (header.flags & Flags.deflate) !== 0, INFLATE_LIMIT);
  if (entries === null) throw new Error('micro: bad payload');
  return JSON.stringify(entries);
}

/** An entry list whose JSON is exactly `size` bytes of incompressible text. */
function randomEntries(size: number): SessionEntry[] {
  const overhead = JSON.stringify([[{ blob: '' }, 'default']]).length;
  const blob = nodeCrypto.randomBytes(size).toString('base64url').slice(0, size - overhead);
  const entries: SessionEntry[] = [{ data: { blob }, audience: 'default' }];
  const length = JSON.stringify(entries.map((e) => [e.data, e.audience])).length;
  if (length !== size) throw new Error(`micro: payload of ${length} bytes, wanted ${size}`);
  return entries;
}

/** A realistic, compressible session (a user and a shopping cart) of at least `size` bytes of JSON. */
function cartEntries(size: number): SessionEntry[] {
  const items: Array<Record<string, unknown>> = [];
  const data = { user: { id: 48213, name: 'Ada Lovelace', roles: ['customer'] }, csrf: 'Zq3hV0m8RkT2yLw9cJ5pXb1nGd7sFe4a', cart: items };
  const entries: SessionEntry[] = [{ data, audience: 'default' }];
  for (let i = 0; JSON.stringify([[data, 'default']]).length < size; i++) {
    items.push({ sku: `SKU-${100_000 + i * 37}`, qty: (i % 3) + 1, price: Math.round(999 + i * 125) / 100, title: `Product ${i}` });
  }
  return entries;
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
