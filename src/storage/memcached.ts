/**
 * A memcached session store (spec 5.1, 5.4) with the key layout of lua-resty-session's memcached
 * storage (`prefix:namespace:key`, the record as the value), over a `memjs` client you own.
 *
 * Design choices, and why:
 * - memjs, not `memcached` (3rd-Eden): memjs has a promise API and is maintained (MemCachier publishes it;
 *   1.3 in late 2024), while `memcached` 2.2 is callback-only and its last real release is years old.
 *   The client is injected, never imported: `memjs` is an optional peer dependency.
 * - TTL is memcached's own (`exptime`; above 30 days memcached takes an absolute Unix time, so longer
 *   lives are sent as one). Nothing to sweep.
 * - No subject index: memcached cannot list keys, and lua's append-only index lists are racy without
 *   CAS loops. The store has no `readMetadata`, and a manager with `storeMetadata: true` refuses it at
 *   construction.
 * - A replaced record must be shortened to `staleTtl`, never extended, but memcached cannot tell how long
 *   an item has left. So each record carries its expiry (Unix seconds) in the item's 32-bit client
 *   flags, which lua ignores and leaves 0. memjs's `set` always sends flags 0, so the record is written
 *   with memjs's own request path (`perform`, the binary protocol's SET). A save reads the old record
 *   right behind its write, on the same connection (memcached answers in order, so the read sees the
 *   state after the write: a record deleted by a concurrent logout reads as gone), then touches it to
 *   `staleTtl` only if that shortens it. A record without flags (lua's) is touched, as lua does.
 * - Bounded latency: memjs's own `timeout` per operation, and the store's deadline per call on top.
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import type { Deadline } from './deadline.ts';
import { storageShell, type ClosableStorage } from './shell.ts';
import type { StorageSetInput, StorageSetResult } from './types.ts';
import { checkBooleanOption, checkOptionsObject, checkTimeoutOption, describeType, successorList } from './validate.ts';

/** A binary-protocol response, as memjs hands it to `perform` callbacks. */
interface MemjsResponse {
  readonly header: { readonly status: number };
}

/** The shape of a `memjs` (1.x) `Client` used by this store. */
export interface MemjsClientLike {
  /** Reads an item: its value and its client flags (4 bytes), both `null` when absent. */
  get(key: string): Promise<{ value: Uint8Array | null; flags: Uint8Array | null }>;
  /** Sets an item's expiry (seconds; above 30 days, a Unix time); `false` when it is absent. */
  touch(key: string, expires: number): Promise<boolean>;
  /** Deletes an item; `false` when it was absent. */
  delete(key: string): Promise<boolean>;
  /** Stores an item only if its key is free; `false` when it is taken. */
  add(key: string, value: string, options: { expires: number }): Promise<boolean>;
  /** Appends to an item; `false` when it is absent. */
  append(key: string, value: string): Promise<boolean>;
  /** memjs's request path: sends a binary-protocol request whose opaque is `seq`, routed by `key`. */
  perform(key: string, request: Uint8Array, seq: number, callback: (error: Error | null, response: MemjsResponse | null) => void): void;
  /** Advances `seq`, the opaque of the next request. */
  incrSeq(): void;
  readonly seq: number;
  /** Closes the connections (only called with `closeClient: true`). */
  close(): void;
}

/** Options of {@link memcachedStorage}. */
export interface MemcachedStorageOptions {
  /**
   * A memjs `Client` you created (`memjs.Client.create('127.0.0.1:11211', { timeout: 0.5, retries: 1 })`).
   * Keep its default serializer: the store reads and writes the record text as it is.
   */
  readonly client: MemjsClientLike;
  /** Prepended to every key as lua's `prefix:name:key`; `[A-Za-z0-9_.-]*`, empty means none. */
  readonly prefix?: string | undefined;
  /** Close the client on `close()`. Default `false`: the client is yours and stays open. */
  readonly closeClient?: boolean | undefined;
  /** Milliseconds after which a call rejects with `STORAGE_ERROR`; `0` turns it off. Default 5000. */
  readonly timeout?: number | undefined;
}

/** The store returned by {@link memcachedStorage}: no `readMetadata` (memcached keeps no subject index). */
export type MemcachedStorage = ClosableStorage;

const NAME = 'memcached';
const PREFIX = /^[A-Za-z0-9_.-]*$/;
/** Above this many seconds, memcached reads an expiry as a Unix time, not a duration. */
const RELATIVE_MAX = 60 * 60 * 24 * 30;
/** memcached's longest key. */
const MAX_KEY = 250;
const SET = 0x01;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Creates a memcached store over a memjs client you own.
 * @param options - `client` (required), `prefix`, `closeClient`, `timeout`
 * @returns a plain object implementing `Storage` (without `readMetadata`), plus `close`
 * @throws TypeError when `client` is not a memjs client, or an option has the wrong type
 * @throws RangeError when `prefix` has a character outside `[A-Za-z0-9_.-]` or is too long, or `timeout` is negative
 * @example
 * import memjs from 'memjs';
 * const client = memjs.Client.create('127.0.0.1:11211', { timeout: 0.5, retries: 1, logger: { log: () => {} } });
 * const sessions = createSessionManager({ secret, storage: memcachedStorage({ client }) });
 */
export function memcachedStorage(options: MemcachedStorageOptions): MemcachedStorage {
  checkOptionsObject(options);
  const client = checkClient(options.client);
  const prefix = checkPrefix(options.prefix);
  const closeClient = checkBooleanOption(options.closeClient, 'closeClient', false);
  const timeout = checkTimeoutOption(options.timeout, 5000);
  const name = (namespace: string, key: string): string => `${prefix}${namespace}:${key}`;
  return storageShell({ name: NAME, timeout, closeClient }, {
    set: (input, deadline) => setRecord(client, name, input, deadline),
    async get(namespace, key, now) {
      const { value, flags } = await client.get(checkLength(name(namespace, key)));
      if (value === null) return null;
      // memcached drops the item on its own clock; the recorded expiry applies the session's clock too.
      const expires = expiryOf(flags);
      return expires !== 0 && expires <= now ? null : decoder.decode(value);
    },
    async getRecord(namespace, key, now) {
      const record = checkLength(name(namespace, key));
      const [item, list] = await Promise.all([client.get(record), client.get(successorsName(record))]);
      if (item.value === null) return null;
      const expires = expiryOf(item.flags);
      if (expires !== 0 && expires <= now) return null;
      return { value: decoder.decode(item.value), successors: list.value === null ? [] : successorList(decoder.decode(list.value)) };
    },
    async delete(namespace, key) {
      // The record first, then its successors: a save claims them before it checks that the record is
      // still there, so either this read sees its token or that save finds the record gone.
      const record = checkLength(name(namespace, key));
      await client.delete(record);
      const list = successorsName(record);
      const { value } = await client.get(list);
      if (value !== null) await client.delete(list);
      return { successors: value === null ? [] : successorList(decoder.decode(value)) };
    },
    end: async () => client.close(),
  });
}

/**
 * The writes of one `set`: the record (with its expiry in the flags), the old record read right behind
 * it, then that record touched to `staleTtl` when this shortens it (deleted, for a `staleTtl` of 0:
 * memcached reads an expiry of 0 as "never").
 */
async function setRecord(client: MemjsClientLike, name: (namespace: string, key: string) => string, input: StorageSetInput, deadline: Deadline): Promise<StorageSetResult | undefined> {
  const { namespace, key, value, now, oldKey } = input;
  const record = checkLength(name(namespace, key));
  const expires = Math.ceil(now + input.ttl);
  const written = setWithFlags(client, record, value, expires, exptime(input.ttl, expires));
  const old = oldKey !== undefined && oldKey !== key ? checkLength(name(namespace, oldKey)) : undefined;
  const read = old === undefined ? undefined : client.get(old);
  // Observed at once: if the write fails, the read's outcome is not wanted, and must not go unhandled.
  read?.catch(() => {});
  await written;
  if (old === undefined || read === undefined) return undefined;
  const found = await read;
  if (found.value === null) return { oldKeyLive: false };
  // Past the deadline the caller was told the save failed: the old record must keep its life.
  if (deadline.expired) throw new Error('deadline passed after the record was written');
  const staleTtl = Math.ceil(input.staleTtl ?? 0);
  const left = expiryOf(found.flags);
  if (input.successor !== undefined) {
    const outcome = await leaveSuccessor(client, old, input.successor, input.exclusive === true, Math.max(1, Math.min(left === 0 ? Infinity : left, now + staleTtl) - now) + 1);
    if (outcome !== 'left') {
      // Lost the claim, or the old record went meanwhile: the record written above is withdrawn.
      await client.delete(record);
      return outcome === 'claimed' ? { oldKeyLive: true, conflict: true } : { oldKeyLive: false };
    }
  }
  if (staleTtl <= 0) return { oldKeyLive: await client.delete(old) };
  if (left !== 0 && left <= now + staleTtl) return { oldKeyLive: true };
  // memcached counts whole seconds on a clock that may tick right after this TOUCH: one second more keeps
  // the old record readable for at least `staleTtl` (and at most one second longer).
  return { oldKeyLive: await client.touch(old, staleTtl + 1) };
}

/** memcached's `exptime` for a TTL: seconds up to 30 days, beyond that the Unix time it ends. */
/** The item holding a record's successor tokens (space-separated). */
function successorsName(record: string): string {
  return checkLength(`${record}:successors`);
}

/**
 * Leaves a successor token on a replaced record: `add` claims the list (compare-and-set), `append`
 * extends it. Then the record is read again: a destroy deletes the record before it reads the list, so a
 * record still there means that destroy (if any) will see this token.
 * @returns `'left'`, `'claimed'` (exclusive, and another save claimed it first) or `'gone'`
 */
async function leaveSuccessor(client: MemjsClientLike, old: string, token: string, exclusive: boolean, ttl: number): Promise<'left' | 'claimed' | 'gone'> {
  const list = successorsName(old);
  if (exclusive) {
    if (!(await client.add(list, token, { expires: ttl }))) return 'claimed';
  } else if (!(await client.add(list, token, { expires: ttl }))) {
    // Taken: another save left a token first (memcached answers NOT_STORED, not NOT_FOUND, to an append
    // of a missing item, which memjs throws on; hence add first). Dropped meanwhile, it is claimed again.
    try {
      await client.append(list, ` ${token}`);
    } catch {
      await client.add(list, token, { expires: ttl });
    }
  }
  const again = await client.get(old);
  if (again.value !== null) return 'left';
  if (exclusive) await client.delete(list);
  return 'gone';
}

function exptime(ttl: number, expires: number): number {
  const seconds = Math.ceil(ttl);
  return seconds <= RELATIVE_MAX ? seconds : expires;
}

/** The expiry a record carries in its flags (Unix seconds), or 0 when it carries none (lua's records). */
function expiryOf(flags: Uint8Array | null): number {
  if (flags === null || flags.length !== 4) return 0;
  return new DataView(flags.buffer, flags.byteOffset, 4).getUint32(0);
}

/** A binary-protocol SET with client flags, through memjs's request path (its `set` sends flags 0). */
function setWithFlags(client: MemjsClientLike, key: string, value: string, flags: number, expires: number): Promise<void> {
  const keyBytes = encoder.encode(key);
  const valueBytes = encoder.encode(value);
  const request = new Uint8Array(24 + 8 + keyBytes.length + valueBytes.length);
  const view = new DataView(request.buffer);
  view.setUint8(0, 0x80); // request magic
  view.setUint8(1, SET);
  view.setUint16(2, keyBytes.length);
  view.setUint8(4, 8); // extras: flags and expiry
  view.setUint32(8, 8 + keyBytes.length + valueBytes.length);
  client.incrSeq();
  const seq = client.seq;
  view.setUint32(12, seq); // opaque: memjs matches the response to the request by it
  view.setUint32(24, flags >>> 0);
  view.setUint32(28, expires >>> 0);
  request.set(keyBytes, 32);
  request.set(valueBytes, 32 + keyBytes.length);
  return new Promise((resolve, reject) => {
    client.perform(key, request, seq, (error, response) => {
      if (error !== null) reject(error);
      else if (response?.header.status !== 0) reject(new Error(`memcached refused the SET: ${refusal(response?.header.status)}`));
      else resolve();
    });
  });
}

/** What a binary-protocol status says, for an error message. */
function refusal(status: number | undefined): string {
  if (status === 3) return "the record is larger than the server's item size limit (memcached -I, default 1m)";
  return `status ${status ?? 'none'}`;
}

function checkLength(key: string): string {
  // Names are [A-Za-z0-9_.:-] by the argument checks: one byte per character.
  if (key.length > MAX_KEY) throw new SessionError('STORAGE_ERROR', `memcached storage: a key is longer than memcached's ${MAX_KEY} bytes (shorten the prefix or the cookie name)`, { storage: NAME });
  return key;
}

function checkClient(client: unknown): MemjsClientLike {
  const c = client as Partial<Record<keyof MemjsClientLike, unknown>> | null;
  if (typeof c !== 'object' || c === null || typeof c.get !== 'function' || typeof c.touch !== 'function' || typeof c.perform !== 'function' || typeof c.incrSeq !== 'function' || typeof c.add !== 'function' || typeof c.append !== 'function') {
    throw new TypeError(`"client" expected a memjs Client, got ${describeType(client)}`);
  }
  return client as MemjsClientLike;
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected a string, got ${describeType(prefix)}`);
  if (!PREFIX.test(prefix) || prefix.length > 100) {
    throw new RangeError(`"prefix" expected at most 100 characters of [A-Za-z0-9_.-], got ${JSON.stringify(prefix)}`);
  }
  return `${prefix}:`;
}
