/**
 * Child of memory.ts: `node --expose-gc --import tsx bench/memory-child.ts N`.
 *
 * Creates N sessions through the real save path (a manager with the memory store, node:crypto), each a
 * small realistic session (a user id, a role, a CSRF token and a counter: a record `["<base64url
 * ciphertext>"]` of about 100 characters), then leaves them idle. The heap is measured after a full
 * collection before the store exists and after the N saves; the difference over N is the cost of one
 * idle session: its record's key and value strings, the record object and the Map entry. Prints one JSON
 * line.
 *
 * @module
 */
import { createSessionManager, type HttpExchange, type Storage } from '../src/index.ts';
import { memoryStorage } from '../src/storage/memory.ts';

/** What one run reports. */
export interface MemoryChildResult {
  readonly sessions: number;
  readonly heapBytes: number;
  readonly bytesPerSession: number;
  /** Length of one stored record (`["..."]`), in characters (one byte each). */
  readonly valueLength: number;
  /** Bytes per session beyond the record's own characters. */
  readonly overheadBytes: number;
  readonly seconds: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('memory-child needs --expose-gc');

const sessions = Number(process.argv[2]);
if (!Number.isSafeInteger(sessions) || sessions < 1) throw new RangeError(`sessions expected a positive integer, got ${process.argv[2]}`);

/** A request with no cookie whose response is thrown away: only the store keeps anything. */
const exchange: HttpExchange = {
  cookieHeader: () => undefined,
  requestHeader: () => undefined,
  remoteAddress: () => '127.0.0.1',
  scheme: () => 'http',
  setCookie() {},
  assertWritable() {},
  setResponseHeader() {},
  setRequestHeader() {},
};

const fullGc = (): void => {
  for (let i = 0; i < 3; i++) gc();
};

const SECRET = 'bench-secret-4f8a9c1e7b2d6e0a3c5f9b8d7e6a1c2b4d';
const data = (i: number): Record<string, unknown> => ({ uid: 100_000 + (i % 900_000), role: 'member', csrf: 'q3Zp8Lm2Xv7Tb1Nc6Wd0Hs', n: 1 });

// One save into a store that only notes the record's length (and warms every code path up).
let valueLength = 0;
const probe: Storage = {
  name: 'probe',
  async set(input) {
    valueLength = input.value.length;
  },
  get: async () => null,
  async delete() {},
};
const first = await createSessionManager({ secret: SECRET, crypto: 'node', storage: probe }).open(exchange);
first.setData(data(0));
await first.save();

const storage = memoryStorage({ maxEntries: sessions });
const manager = createSessionManager({ secret: SECRET, crypto: 'node', storage });

fullGc();
const before = process.memoryUsage().heapUsed;
const started = performance.now();
for (let i = 0; i < sessions; i++) {
  const session = await manager.open(exchange);
  session.setData(data(i));
  await session.save();
}
const seconds = (performance.now() - started) / 1000;
fullGc();
const after = process.memoryUsage().heapUsed;
if (storage.size !== sessions) throw new Error(`the store holds ${storage.size} records, expected ${sessions}`);

const heapBytes = after - before;
const bytesPerSession = heapBytes / sessions;
const result: MemoryChildResult = { sessions, heapBytes, bytesPerSession, valueLength, overheadBytes: bytesPerSession - valueLength, seconds };
console.log(JSON.stringify(result));

