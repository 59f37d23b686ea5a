/**
 * Shared scaffolding of the security checklist section 6 case files (test/security/cases/*.test.ts):
 * managers on a fixed clock with an `onInvalid` log, one-request helpers over the Fetch transport, a
 * cookie jar, a forger that seals headers with a manager's own key (so only the field under test is
 * wrong), counting wrappers for stores and crypto, and the server-side backends the lifecycle and
 * concurrency cases run over. Not a test file itself (no `.test.ts`): the case files import it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { base64urlDecode, base64urlEncode } from '../../../src/codec/base64url.ts';
import { defaultCrypto, type CryptoBackend } from '../../../src/codec/crypto.ts';
import { Flags, HEADER_TEXT_SIZE, MAC_INPUT_SIZE } from '../../../src/codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, ikmFromSecret, keyMaterial, type KeyMaterial } from '../../../src/codec/keys.ts';
import { computeMac, parseHeader, seal, sealedText } from '../../../src/codec/seal.ts';
import type { InvalidCookie, InvalidReason } from '../../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../../src/manager.ts';
import type { SessionOptions } from '../../../src/options.ts';
import type { Session } from '../../../src/session.ts';
import { fileStorage } from '../../../src/storage/file.ts';
import { memoryStorage } from '../../../src/storage/memory.ts';
import { redisStorage } from '../../../src/storage/redis.ts';
import type { Storage } from '../../../src/storage/types.ts';
import { fixedClock, type FixedClock } from '../../../src/testing/index.ts';
import { redisSkipReason, redisUrl } from '../../helpers/redis.ts';

/** The clock every case starts at. */
export const T0 = 1_700_000_000;
/** Long enough not to trigger the short-secret warning. */
export const SECRET = 'cases-secret-Vt3q9L0xP2mZ8rK5wY7nB4cJ6hD1fG0s';
/** Another deployment's secret. */
export const OTHER_SECRET = 'other-deployment-secret-Qw8eR7tY6uI5oP4aS3dF2g';
/** The default (secure) cookie names. */
export const COOKIE = '__Host-session';
export const REMEMBER = '__Host-remember';
export const quiet = { warn(): void {} };

export type AnySession = Session<Record<string, unknown>>;
export type Manager = SessionManager<Record<string, unknown>>;

/** A fixed clock, an `onInvalid` log, and managers sharing both. */
export interface Bed {
  readonly clock: FixedClock;
  readonly events: InvalidCookie[];
  /** Empties the event log and returns what it held. */
  take(): InvalidCookie[];
  manager(options?: SessionOptions): Manager;
}

export function bed(defaults: SessionOptions = {}, start = T0): Bed {
  const clock = fixedClock(start);
  const events: InvalidCookie[] = [];
  return {
    clock,
    events,
    take: () => events.splice(0, events.length),
    manager: (options = {}) =>
      createSessionManager({ secret: SECRET, now: clock.now, logger: quiet, onInvalid: (e) => void events.push(e), ...defaults, ...options }),
  };
}

/** One request through the Fetch transport. */
export interface Visit {
  readonly session: AnySession;
  /** A response header other than Set-Cookie. */
  header(name: string): string | undefined;
  /** The Set-Cookie lines written so far. */
  lines(): string[];
  /** The `name=value` pairs of the non-deleting Set-Cookie lines, as a Cookie header (or undefined). */
  cookie(): string | undefined;
}

/** Opens (or starts) a session from a Cookie header value (or none). */
export async function visit(manager: Manager, cookie?: string, how: 'open' | 'start' = 'open'): Promise<Visit> {
  const headers = new Headers();
  const request = new Request('https://example.com/', cookie === undefined ? {} : { headers: { cookie } });
  const session = how === 'open' ? await manager.open(request, headers) : await manager.start(request, headers);
  return { session, header: (n) => headers.get(n) ?? undefined, lines: () => headers.getSetCookie(), cookie: () => cookieHeaderOf(headers.getSetCookie()) };
}

/**
 * The same over the node transport with a fake request/response, which (unlike `Headers`) carries any
 * bytes and several Cookie header lines.
 */
export async function visitNode(manager: Manager, cookie?: string | string[], how: 'open' | 'start' = 'open'): Promise<Visit> {
  const out = new Map<string, number | string | string[]>();
  const req = { headers: cookie === undefined ? {} : { cookie }, socket: { remoteAddress: '127.0.0.1', encrypted: true } };
  const res = {
    headersSent: false,
    getHeader: (name: string) => out.get(name.toLowerCase()),
    setHeader: (name: string, value: number | string | readonly string[]) => void out.set(name.toLowerCase(), typeof value === 'object' ? [...value] : value),
  };
  const session = how === 'open' ? await manager.open(req, res) : await manager.start(req, res);
  const lines = (): string[] => {
    const v = out.get('set-cookie');
    return v === undefined ? [] : Array.isArray(v) ? [...v] : [String(v)];
  };
  return { session, header: (n) => (out.has(n.toLowerCase()) ? String(out.get(n.toLowerCase())) : undefined), lines, cookie: () => cookieHeaderOf(lines()) };
}

/** A new session holding `data` (and `subject`), saved; returns the Cookie header a browser would send back. */
export async function issue(manager: Manager, data: Record<string, unknown> = { user: 'alice' }, subject?: string): Promise<string> {
  const v = await visit(manager);
  v.session.setData(data);
  if (subject !== undefined) v.session.setSubject(subject);
  await v.session.save();
  const cookie = v.cookie();
  assert.ok(cookie !== undefined, 'the save set a cookie');
  return cookie;
}

export const isDeletion = (line: string): boolean => /;\s*Max-Age=0(;|$)/i.test(line);
export const nameOf = (line: string): string => line.slice(0, line.indexOf('='));
/** The value part of a `name=value...` line or pair. */
export const valueIn = (line: string): string => line.split(';', 1)[0]!.slice(line.indexOf('=') + 1);

/** The Cookie header a browser would send for these Set-Cookie lines (deletions dropped). */
export function cookieHeaderOf(lines: readonly string[]): string | undefined {
  const pairs = lines.filter((l) => !isDeletion(l)).map((l) => l.split(';', 1)[0]!);
  return pairs.length === 0 ? undefined : pairs.join('; ');
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string, name = COOKIE): string {
  for (const part of header.split(';')) {
    const t = part.trim();
    if (t.startsWith(`${name}=`)) return t.slice(name.length + 1);
  }
  throw new Error(`no ${name} in the cookie header`);
}

/** A browser-like jar: applies Set-Cookie lines (Max-Age=0 deletes) and renders a Cookie header. */
export class Jar {
  readonly cookies = new Map<string, string>();
  constructor(header?: string) {
    if (header !== undefined) for (const p of header.split('; ')) this.cookies.set(p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1));
  }
  apply(lines: readonly string[]): this {
    for (const line of lines) {
      if (isDeletion(line)) this.cookies.delete(nameOf(line));
      else this.cookies.set(nameOf(line), valueIn(line));
    }
    return this;
  }
  header(): string | undefined {
    return this.cookies.size === 0 ? undefined : [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

/** "No session": a new, empty session and no Set-Cookie. */
export function assertNoSession(v: Visit, label = '', shed = false): void {
  assert.equal(v.session.isNew, true, `${label}: isNew`);
  assert.deepEqual(v.session.getData(), {}, `${label}: data`);
  // Cookies over the size budget are answered with their expiry, so that the client sheds them.
  if (shed) assert.ok(v.lines().length > 0 && v.lines().every((l) => l.endsWith('; Max-Age=0')), `${label}: the cookies expired`);
  else assert.deepEqual(v.lines(), [], `${label}: no Set-Cookie`);
}

/** The events are exactly the given reasons, for the session cookie unless said otherwise. */
export function assertReasons(events: readonly InvalidCookie[], reasons: readonly InvalidReason[], label = ''): void {
  assert.deepEqual(events.map((e) => e.reason), reasons, `${label}: reasons ${JSON.stringify(events)}`);
}

/**
 * Runs `handler` behind a real node:http server on 127.0.0.1:0 and sends it one GET with `rawHeaders`
 * (`[name, value, ...]`, so one name may be sent on several lines); returns the response body.
 */
export async function rawGet(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, rawHeaders: string[]): Promise<string> {
  const server = http.createServer((req, res) => void handler(req, res).catch((err: unknown) => res.end(`error: ${String(err)}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const headers = ['host', `127.0.0.1:${port}`, 'connection', 'close', ...rawHeaders];
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The text of README.md and of every Markdown file under docs/, joined (for "the docs state..." checks). */
export function docsText(): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
  return [join(root, 'README.md'), ...walk(join(root, 'docs'))].map((f) => readFileSync(f, 'utf8')).join('\n').replace(/\s+/g, ' ');
}

// ------------------------------------------------------------------------------------------ codec

const crypto = defaultCrypto();
export const materialOf = (secret: string): KeyMaterial => keyMaterial(crypto, ikmFromSecret(crypto, secret));
export const b64 = (bytes: Uint8Array): string => base64urlEncode(bytes);
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Header fields and plaintext of a forged cookie. */
export interface Forge {
  sid?: Uint8Array;
  flags?: number;
  creationTime?: number;
  rollingOffset?: number;
  idlingOffset?: number;
  /** JSON text or raw bytes; default `[[{"forged":true},"default"]]`. */
  plaintext?: string | Uint8Array;
  secret?: string;
}

/**
 * Seals a cookie with the codec under `secret` (default {@link SECRET}): it authenticates, so only the
 * fields chosen here can make it fail. Returns the header text, the payload text and the session id.
 */
export function forge(f: Forge = {}): { value: string; header: string; payload: string; sid: Uint8Array } {
  const material = materialOf(f.secret ?? SECRET);
  const sid = f.sid ?? globalThis.crypto.getRandomValues(new Uint8Array(32));
  const text = f.plaintext ?? '[[{"forged":true},"default"]]';
  const plaintext = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const input = { flags: f.flags ?? 0, sid, creationTime: f.creationTime ?? T0, rollingOffset: f.rollingOffset ?? 0, idlingOffset: f.idlingOffset ?? 0, plaintext };
  const sealed = sealedText(seal(crypto, input, deriveEncryptionKey(crypto, material, sid), deriveMacKey(crypto, material, sid)));
  return { value: sealed.header + sealed.payload, header: sealed.header, payload: sealed.payload, sid };
}

/** Edits the 82 header bytes of a cookie value, then recomputes the header MAC under `secret`. */
export function remac(value: string, edit: (bytes: Uint8Array) => void, secret = SECRET): string {
  const bytes = base64urlDecode(value.slice(0, HEADER_TEXT_SIZE));
  assert.ok(bytes !== null && bytes.length === 82);
  edit(bytes);
  const macKey = deriveMacKey(crypto, materialOf(secret), bytes.subarray(3, 35));
  bytes.set(computeMac(crypto, macKey, bytes), MAC_INPUT_SIZE);
  return b64(bytes) + value.slice(HEADER_TEXT_SIZE);
}

/** The base64url session id of a cookie value. */
export function sidOf(value: string): string {
  const h = parseHeader(value);
  assert.ok(h !== null, 'a parsable header');
  return b64(h.sid);
}

export { Flags, HEADER_TEXT_SIZE };

// ------------------------------------------------------------------------------------------ wrappers

/** Counts (and logs) every store call, delegating to `inner`. */
export function countingStorage(inner: Storage): { storage: Storage; calls: Array<[string, string]>; reset(): void } {
  const calls: Array<[string, string]> = [];
  const storage: Storage = {
    name: inner.name,
    get: (namespace, key, now) => (calls.push(['get', key]), inner.get(namespace, key, now)),
    set: (input) => (calls.push(['set', input.key]), inner.set(input)),
    delete: (namespace, key, now, metadata) => (calls.push(['delete', key]), inner.delete(namespace, key, now, metadata)),
  };
  if (inner.readMetadata !== undefined) {
    const read = inner.readMetadata.bind(inner);
    storage.readMetadata = (namespace, audience, subject, now) => (calls.push(['readMetadata', subject]), read(namespace, audience, subject, now));
  }
  return { storage, calls, reset: () => void calls.splice(0, calls.length) };
}

/** Counts every crypto primitive call, delegating to `inner` (default: the node backend). */
export function countingCrypto(inner: CryptoBackend = crypto): { crypto: CryptoBackend; counts: Record<string, number>; total(): number; reset(): void } {
  const counts: Record<string, number> = { sha256: 0, hmacSha256: 0, encrypt: 0, decrypt: 0, pbkdf2: 0 };
  const bump = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
  return {
    crypto: {
      name: inner.name,
      sha256: (d) => (bump('sha256'), inner.sha256(d)),
      hmacSha256: (k, d, m) => (bump('hmacSha256'), inner.hmacSha256(k, d, m)),
      encrypt: (k, iv, p, a) => (bump('encrypt'), inner.encrypt(k, iv, p, a)),
      decrypt: (k, iv, c, t, a) => (bump('decrypt'), inner.decrypt(k, iv, c, t, a)),
      pbkdf2: (p, s, i, l) => (bump('pbkdf2'), inner.pbkdf2(p, s, i, l)),
    },
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => void Object.keys(counts).forEach((k) => (counts[k] = 0)),
  };
}

// ------------------------------------------------------------------------------------------ backends

/** Where a server-side or revocation-backed session lives, for the cases run over every store. */
export interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  /**
   * Manager options for this backend, and a cleanup. `storage` is the session store, if any; `records()`
   * counts what the backing store holds (session records, or revocation entries for cookie storage).
   */
  create(): Promise<{ options: SessionOptions; storage: Storage | undefined; records(): Promise<number>; release(): Promise<void> }>;
}

const unique = (): string => Math.random().toString(36).slice(2, 10);

/** memory, file, redis (REDIS_URL; skipped when unreachable unless CI=true) and cookie storage + a revocation store. */
export async function backends(): Promise<Backend[]> {
  const redisSkip = await redisSkipReason();
  return [
    {
      name: 'memory store',
      skip: undefined,
      async create() {
        const storage = memoryStorage();
        return { options: { storage }, storage, records: async () => storage.size, release: async () => {} };
      },
    },
    {
      name: 'file store',
      skip: undefined,
      async create() {
        const directory = await mkdtemp(join(tmpdir(), 'httpsession-cases-'));
        const storage = fileStorage({ directory, sweepProbability: 0 });
        const records = async (): Promise<number> => (await readdir(directory).catch(() => [])).filter((f) => !f.startsWith('.')).length;
        return { options: { storage }, storage, records, release: () => rm(directory, { recursive: true, force: true }) };
      },
    },
    {
      name: 'redis store',
      skip: redisSkip,
      async create() {
        const client = createClient({ url: redisUrl(), disableOfflineQueue: true, socket: { connectTimeout: 500 } });
        client.on('error', () => {});
        await client.connect();
        const prefix = `cases${unique()}`;
        const storage = redisStorage({ client, prefix });
        const records = async (): Promise<number> => ((await client.sendCommand(['KEYS', `${prefix}:*`])) as unknown[]).length;
        const release = async (): Promise<void> => {
          const keys = (await client.sendCommand(['KEYS', `${prefix}:*`])) as string[];
          if (keys.length > 0) await client.sendCommand(['DEL', ...keys]);
          await client.close();
        };
        return { options: { storage }, storage, records, release };
      },
    },
    {
      name: 'cookie storage + revocation store',
      skip: undefined,
      async create() {
        const revocation = memoryStorage();
        return { options: { revocation: { storage: revocation } }, storage: undefined, records: async () => revocation.size, release: async () => {} };
      },
    },
  ];
}
