/**
 * A Redis session store (spec 5.1, 5.2, 5.4) with the exact key layout and commands of
 * lua-resty-session's redis storage, so a Node service and an OpenResty service can share sessions.
 *
 * Design choices, and why:
 * - The client is injected, never imported: `redis` (node-redis v5) and `ioredis` (v5) are optional peer
 *   dependencies, and this module only knows the few method shapes below. A single server, a Sentinel
 *   client and a Cluster client of either library all work; the flavour is detected structurally.
 * - Raw commands only (`SET`, `GET`, `EXPIRE`, `EXISTS`, `UNLINK`, `Z*`, and `TTL` before Redis 7), sent
 *   through `sendCommand` (node-redis) or `call` (ioredis), so both libraries send the same bytes and no
 *   client-side helper can differ.
 * - Every command touches one key. The record (`prefix:namespace:key`) and the metadata index
 *   (`prefix:namespace:audience:subject`) hash to different Cluster slots, so they cannot share a
 *   `MULTI`; lua-resty-session pipelines them without `MULTI` too. A `set` is therefore not atomic: see
 *   {@link redisStorage}.
 * - Bounded latency (checklist 5.1 guarantee 4) comes first from the client: no offline queue, a connect
 *   timeout, bounded retries. The store adds a deadline per call (`timeout`, default 5 s) because a
 *   server that accepts commands but never answers is otherwise waited on forever: node-redis v5's
 *   command `timeout` only covers the wait before a command is written, not the reply.
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import { deadlines, type Deadline } from './deadline.ts';
import type { Storage, StorageDeleteResult, StorageMetadata, StorageRecord, StorageSetInput, StorageSetResult } from './types.ts';
import { checkKey, checkMetadata, checkNamePart, checkNamespace, checkSetInput, checkTime, describeType, MAX_SUCCESSORS_TEXT, successorList } from './validate.ts';

/** The shape of a node-redis v5 single-server client (`createClient()`) used by this store. */
export interface NodeRedisClientLike {
  /** Sends a raw command, e.g. `['GET', key]`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** The shape of a node-redis v5 Cluster client (`createCluster()`) used by this store. */
export interface NodeRedisClusterLike {
  /** Sends a raw command to the node owning `firstKey`'s slot. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** Only checked to exist: it tells a Cluster client apart from the others. */
  nodeClient(...args: never[]): unknown;
}

/** The shape of a node-redis v5 Sentinel client (`createSentinel()`) used by this store. */
export interface NodeRedisSentinelLike {
  /** Sends a raw command to the master (`isReadonly: false`) or a replica. */
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** Only checked to exist: it tells a Sentinel client apart from the others. */
  getMasterNode(): unknown;
}

/** The shape of an ioredis v5 client (`new Redis()`, `new Redis.Cluster()`, Sentinel) used by this store. */
export interface IoRedisLike {
  /** Sends a raw command, e.g. `call('GET', key)`; a Cluster client routes it by its key. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** Any client {@link redisStorage} accepts. */
export type RedisClientLike = NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike | IoRedisLike;

/** Options of {@link redisStorage}. */
export interface RedisStorageOptions {
  /**
   * A connected client you created: node-redis v5 (`createClient`, `createCluster`, `createSentinel`) or
   * ioredis v5 (`new Redis()`, `new Redis.Cluster()`, `new Redis({ sentinels, name })`). Attach an
   * `'error'` listener to it: both libraries emit `'error'` when the connection drops, and an
   * unhandled `'error'` event ends the process.
   */
  readonly client: RedisClientLike;
  /** Prepended to every key as lua's `prefix:name:key`; `[A-Za-z0-9_.-]*`, empty means none. */
  readonly prefix?: string | undefined;
  /** Quit the client on `close()`. Default `false`: the client is yours and stays open. */
  readonly closeClient?: boolean | undefined;
  /**
   * Milliseconds after which a call rejects with `STORAGE_ERROR` even if Redis has not answered; `0`
   * turns the deadline off. Default 5000. A command already sent may still run afterwards; a `set` past
   * its deadline sends nothing more (see {@link redisStorage}).
   */
  readonly timeout?: number | undefined;
}

/** The store returned by {@link redisStorage}: a {@link Storage} whose optional methods all exist. */
export interface RedisStorage extends Storage {
  /** Lists the live keys of one audience + subject with their expiry (Unix seconds). */
  readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /** Reads a live record with its successor tokens (compare-and-set saves). */
  getRecord(namespace: string, key: string, now: number): Promise<StorageRecord | null>;
  /** Deletes a record and reports its successor tokens (read and deleted in one script). */
  delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<StorageDeleteResult>;
  /** Stops using the client (and quits it with `closeClient: true`); later calls reject. Idempotent. */
  close(): Promise<void>;
}

/** Sends one single-key command; `args[0]` is the command name. */
type Send = (key: string, args: string[]) => Promise<unknown>;

/** What a store learns about its server while running. */
interface Compat {
  /** The server refused `EXPIRE ... LT` (Redis before 7.0): shorten with `TTL` + `EXPIRE` from now on. */
  noExpireLt: boolean;
}

const PREFIX = /^[A-Za-z0-9_.-]*$/;
/** Far above any healthy round trip (a 1 MiB SET included), well below a client's hang-forever. */
const DEFAULT_TIMEOUT_MS = 5000;
const decoder = new TextDecoder();

/**
 * Creates a Redis store over a client you own.
 *
 * A `set` is several single-key commands, not a transaction: the record is written first (so a failed
 * save leaves the previous record untouched), then the replaced record is shortened and the metadata
 * index updated concurrently. If Redis fails half-way, or the deadline passes (nothing more is sent
 * then), the call rejects and a new record may remain (no cookie points to it, it expires with its TTL)
 * or an index may lag (its entries expire too).
 *
 * node-redis clients get every command as a write (`isReadonly: false`), so reads go to the master even
 * with `useReplicas` or `replicaPoolSize`, and the request after a save finds its record; with ioredis,
 * keep `scaleReads: 'master'` (the default) for the same reason. Metadata (`storeMetadata: true`) needs
 * Redis 7 (`EXPIRE ... NX`/`GT`); `readMetadata` needs Redis 6.2. A save replacing a record shortens it
 * with `EXPIRE ... LT` (Redis 7), or with `TTL` + `EXPIRE` on a server that refuses `LT`, and resolves to
 * `{ oldKeyLive }`.
 * @param options - `client` (required), `prefix`, `closeClient`, `timeout`
 * @returns a plain object implementing {@link Storage}, plus `readMetadata` and `close`
 * @throws TypeError when `client` is not a node-redis or ioredis client, or an option has the wrong type
 * @throws RangeError when `prefix` has a character outside `[A-Za-z0-9_.-]`, or `timeout` is negative
 * @example
 * import { createClient } from 'redis';
 * const client = createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true });
 * client.on('error', (err) => log.warn('redis', err.message));
 * await client.connect();
 * const sessions = createSessionManager({ secret, storage: redisStorage({ client }) });
 */
export function redisStorage(options: RedisStorageOptions): RedisStorage {
  const { client, prefix, closeClient, timeout } = checkOptions(options);
  const send = adapt(client);
  const withDeadline = deadlines(timeout, 'redis');
  const compat: Compat = { noExpireLt: false };
  let closed = false;
  // Checked first, like the memory store: a closed store rejects whatever the arguments.
  const ensureOpen = (): void => {
    if (closed) throw new SessionError('STORAGE_ERROR', 'redis storage is closed', { storage: 'redis' });
  };
  // Only I/O is wrapped: argument errors stay TypeError/RangeError, client errors become STORAGE_ERROR.
  const io = async <T>(op: string, body: (deadline: Deadline) => Promise<T>): Promise<T> => {
    try {
      return await withDeadline(body);
    } catch (cause) {
      throw new SessionError('STORAGE_ERROR', `redis storage failed to ${op}`, { storage: 'redis', cause });
    }
  };
  const recordKey = (namespace: string, key: string): string => `${prefix}${namespace}:${key}`;
  // A record's successor tokens: a key of their own in the record's hash slot (the braces hold the
  // record's key), so that one script reads or changes both on a Cluster too; lua-resty-session never
  // reads it.
  const successorsKey = (record: string): string => `{${record}}:successors`;
  const indexKey = (namespace: string, audience: string, subject: string): string => `${prefix}${namespace}:${audience}:${subject}`;

  return {
    name: 'redis',
    async set(input: StorageSetInput): Promise<StorageSetResult | undefined> {
      ensureOpen();
      checkSetInput(input);
      return io('save a session', (deadline) => setRecord(send, compat, input, recordKey, indexKey, successorsKey, deadline));
    },
    async get(namespace: string, key: string, now: number): Promise<string | null> {
      ensureOpen();
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      const name = recordKey(namespace, key);
      return io('read a session', async () => text(await send(name, ['GET', name])));
    },
    async getRecord(namespace: string, key: string, now: number): Promise<StorageRecord | null> {
      ensureOpen();
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      const name = recordKey(namespace, key);
      return io('read a session', async () => {
        const reply = await send(name, ['MGET', name, successorsKey(name)]);
        if (!Array.isArray(reply) || reply.length !== 2) throw unexpected('MGET');
        const value = text(reply[0]);
        return value === null ? null : { value, successors: successorList(text(reply[1])) };
      });
    },
    async delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<StorageDeleteResult> {
      ensureOpen();
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      if (metadata !== undefined) checkMetadata(metadata);
      const name = recordKey(namespace, key);
      const indexes = metadata === undefined ? [] : metadata.audiences.map((a, i) => indexKey(namespace, a, metadata.subjects[i]!));
      return io('delete a session', async () => {
        const [list] = await Promise.all([
          send(name, ['EVAL', DELETE_SCRIPT, '2', name, successorsKey(name)]),
          settle(indexes.map((index) => send(index, ['ZREM', index, key]))),
        ]);
        return { successors: successorList(text(list)) };
      });
    },
    async readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>> {
      ensureOpen();
      checkNamespace(namespace);
      checkNamePart(audience, 'audience');
      checkNamePart(subject, 'subject');
      checkTime(now, 'now');
      const index = indexKey(namespace, audience, subject);
      // Inclusive of `now`, as in lua: scores are whole seconds while Redis expires records to the
      // millisecond, so an entry scored `now` may still have a live record for up to a second.
      return io('read session metadata', async () => pairs(await send(index, ['ZRANGE', index, String(now), '+inf', 'BYSCORE', 'WITHSCORES'])));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (closeClient) await quit(client);
    },
  };
}

/**
 * The writes of one `set`, in the order that keeps a failure harmless (see {@link redisStorage}).
 * lua-resty-session sends its commands in one pipeline. Without metadata a save that replaces a record
 * is two commands, two round trips: `SET` the new record, then `EXPIRE old stale LT`, whose reply also
 * tells whether the old record was still there.
 */
/**
 * Deletes a record and its successor list, returning the list (nil when none): one script, so a save
 * claiming the record either ran before (its token is returned) or finds it gone.
 */
const DELETE_SCRIPT = `local s = redis.call('GET', KEYS[2])
redis.call('UNLINK', KEYS[1], KEYS[2])
return s`;

/**
 * Leaves a successor token on a replaced record and shortens it, in one step. KEYS: the record, its
 * successor list; ARGV: the token, the stale TTL in seconds, '1' to claim (compare-and-set), the longest
 * list kept in characters. Returns 0 when the record is gone, 2 when claiming found a successor already
 * (nothing changed), 1 otherwise. The list lives exactly as long as the record.
 */
const SUCCESSOR_SCRIPT = `local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
local held = redis.call('GET', KEYS[2])
if ARGV[3] == '1' and held then return 2 end
local stale = tonumber(ARGV[2]) * 1000
if ttl == -1 or stale < ttl then ttl = stale end
if ttl <= 0 then
  redis.call('UNLINK', KEYS[1], KEYS[2])
  return 1
end
redis.call('PEXPIRE', KEYS[1], ttl)
local list = held and (held .. ' ' .. ARGV[1]) or ARGV[1]
local max = tonumber(ARGV[4])
if #list > max then list = string.sub(list, -max) end
redis.call('SET', KEYS[2], list, 'PX', ttl)
return 1`;

async function setRecord(
  send: Send,
  compat: Compat,
  input: StorageSetInput,
  recordKey: (namespace: string, key: string) => string,
  indexKey: (namespace: string, audience: string, subject: string) => string,
  successorsKey: (record: string) => string,
  deadline: Deadline,
): Promise<StorageSetResult | undefined> {
  const { namespace, key, value, now, oldKey, metadata } = input;
  // EX takes whole seconds; rounding up never ends a record before the session's own TTL.
  const ttl = Math.ceil(input.ttl);
  const name = recordKey(namespace, key);
  // First and alone: until the new record is stored, the old one must keep its full life (checklist 5.1.6).
  await send(name, ['SET', name, value, 'EX', String(ttl)]);
  // Past the deadline the caller was told the save failed: shortening the old record now would break
  // the previous cookie that the failed save promised to leave valid.
  checkDeadline(deadline);
  // With oldKey === key the record was just replaced: shortening it would shorten the new record.
  const old = oldKey !== undefined && oldKey !== key ? recordKey(namespace, oldKey) : undefined;
  const staleTtl = Math.ceil(input.staleTtl ?? 0);
  let live: Promise<boolean> | undefined;
  if (old !== undefined && input.successor !== undefined) {
    const exclusive = input.exclusive === true;
    const args = ['EVAL', SUCCESSOR_SCRIPT, '2', old, successorsKey(old), input.successor, String(staleTtl), exclusive ? '1' : '0', String(MAX_SUCCESSORS_TEXT)];
    const claimed = Number(await send(old, args));
    if (claimed === 2) {
      // Lost the compare-and-set: the record written above is withdrawn before anyone could be sent it.
      await send(name, ['UNLINK', name]);
      return { oldKeyLive: true, conflict: true };
    }
    live = Promise.resolve(claimed === 1);
  } else if (old !== undefined) live = shortenOld(send, compat, old, staleTtl, deadline);
  // The index updates run alongside the shortening (none without metadata: the save is SET + EXPIRE).
  if (metadata !== undefined && metadata.audiences.length > 0) {
    const calls: Array<Promise<unknown>> = live === undefined ? [] : [live];
    for (let i = 0; i < metadata.audiences.length; i++) {
      const index = indexKey(namespace, metadata.audiences[i]!, metadata.subjects[i]!);
      calls.push(updateIndex(send, index, key, oldKey === key ? undefined : oldKey, now, ttl, deadline));
    }
    await settle(calls);
  }
  return live === undefined ? undefined : { oldKeyLive: await live };
}

/**
 * Shortens the replaced record to `staleTtl` seconds, never extending it, and tells whether it was still
 * live. `EXPIRE ... LT` (Redis 7) only shortens (a key without TTL counts as infinite, so it is shortened
 * too) and answers 1 when it did. It answers 0 both for a missing key and for one that already expires
 * sooner (a concurrent request with the same cookie shortened it first): only then does `EXISTS` tell
 * them apart. A server that refuses `LT` gets `TTL` + `EXPIRE` from then on.
 */
async function shortenOld(send: Send, compat: Compat, name: string, staleTtl: number, deadline: Deadline): Promise<boolean> {
  if (compat.noExpireLt) return shortenOldBefore7(send, name, staleTtl, deadline);
  let shortened: unknown;
  try {
    shortened = await send(name, ['EXPIRE', name, String(staleTtl), 'LT']);
  } catch (err) {
    if (!unsupportedOption(err)) throw err;
    compat.noExpireLt = true;
    checkDeadline(deadline);
    return shortenOldBefore7(send, name, staleTtl, deadline);
  }
  if (Number(shortened) === 1) return true;
  checkDeadline(deadline);
  return Number(await send(name, ['EXISTS', name])) === 1;
}

/** Before Redis 7: `TTL old`, then `EXPIRE old stale` only when that shortens it (one round trip more). */
async function shortenOldBefore7(send: Send, name: string, staleTtl: number, deadline: Deadline): Promise<boolean> {
  const left = Number(await send(name, ['TTL', name]));
  // -2: already gone; -1: no expiry (set by someone else), so any TTL shortens it.
  if (left === -2) return false;
  if (left !== -1 && left <= staleTtl) return true;
  checkDeadline(deadline);
  // 0 here: the record expired or was deleted since the TTL reply.
  return Number(await send(name, ['EXPIRE', name, String(staleTtl)])) === 1;
}

/**
 * Whether a command failed because the server does not know an option (`EXPIRE key n LT` before Redis
 * 7.0: "ERR wrong number of arguments for 'expire' command"; other servers say "syntax error" or
 * "Unsupported option"), as opposed to a connection or other failure, which must reject the call.
 */
function unsupportedOption(err: unknown): boolean {
  return err instanceof Error && /^ERR (?:wrong number of arguments|syntax error|unsupported option)/i.test(err.message);
}

/** Prunes, adds the new key, drops the replaced one, then lets the index outlive its newest entry. */
async function updateIndex(
  send: Send,
  index: string,
  key: string,
  oldKey: string | undefined,
  now: number,
  ttl: number,
  deadline: Deadline,
): Promise<void> {
  const writes = [send(index, ['ZREMRANGEBYSCORE', index, '0', String(now - 1)]), send(index, ['ZADD', index, String(now + ttl), key])];
  if (oldKey !== undefined) writes.push(send(index, ['ZREM', index, oldKey]));
  // Awaited before EXPIRE: an EXPIRE that reached Redis before ZADD created the key would be lost.
  await settle(writes);
  checkDeadline(deadline);
  // NX sets a TTL on a new index; GT only ever extends it (GT alone ignores a key without TTL), so one
  // short-lived session never cuts the life of the index under a longer one (lua sends a plain EXPIRE).
  await settle([send(index, ['EXPIRE', index, String(ttl), 'NX']), send(index, ['EXPIRE', index, String(ttl), 'GT'])]);
}

/**
 * Stops a `set` whose deadline has passed before it sends anything more. The call has already rejected
 * with a `TimeoutError`, so this error only ends the body; nobody sees it.
 */
function checkDeadline(deadline: Deadline): void {
  if (deadline.expired) throw new Error('redis storage: deadline passed');
}

/** Awaits every call, then rethrows the first failure: nothing is left in flight when a call rejects. */
async function settle(calls: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(calls);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * Picks the command path of the client's flavour. node-redis clients have `sendCommand` with three
 * signatures (single, Cluster, Sentinel); ioredis has `call` for all of its clients (and a `sendCommand`
 * that takes a Command object, so `call` is checked first). Writes and reads alike go to the master:
 * `isReadonly: false` keeps a replica from serving a read that misses the write just before it.
 */
function adapt(client: RedisClientLike): Send {
  const c = client as unknown as Record<string, unknown>;
  // Not async: every caller is an async function, which turns a synchronous throw into a rejection.
  if (typeof c.call === 'function') {
    const io = client as IoRedisLike;
    return (_key, args) => io.call(...(args as [string, ...string[]]));
  }
  if (typeof c.nodeClient === 'function') {
    const cluster = client as NodeRedisClusterLike;
    return (key, args) => cluster.sendCommand(key, false, args);
  }
  if (typeof c.getMasterNode === 'function') {
    const sentinel = client as NodeRedisSentinelLike;
    return (_key, args) => sentinel.sendCommand(false, args);
  }
  const single = client as NodeRedisClientLike;
  return (_key, args) => single.sendCommand(args);
}

/** Quits a client, falling back to a forced disconnect: `close()` must release it even when Redis is down. */
async function quit(client: RedisClientLike): Promise<void> {
  const c = client as unknown as Record<string, (() => unknown) | undefined>;
  const graceful = typeof c.call === 'function' ? c.quit : (c.close ?? c.quit);
  const forced = typeof c.call === 'function' ? c.disconnect : (c.destroy ?? c.disconnect);
  try {
    await graceful?.call(client);
  } catch {
    // A client that is already closed or cannot reach Redis: nothing to flush, so drop the sockets.
    try {
      await forced?.call(client);
    } catch {
      /* already closed */
    }
  }
}

/** A bulk-string reply as text; `null` for a nil reply. Buffers appear with `returnBuffers`-like options. */
function text(reply: unknown): string | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return decoder.decode(reply);
  throw unexpected('GET');
}

/** A `ZRANGE ... WITHSCORES` reply: flat `[member, score, ...]` (RESP2) or `[[member, score], ...]` (RESP3). */
function pairs(reply: unknown): Map<string, number> {
  if (!Array.isArray(reply)) throw unexpected('ZRANGE');
  const out = new Map<string, number>();
  const add = (member: unknown, score: unknown): void => {
    const key = text(member);
    const exp = Number(typeof score === 'string' || typeof score === 'number' ? score : text(score));
    if (key === null || !Number.isFinite(exp)) throw unexpected('ZRANGE');
    out.set(key, exp);
  };
  if (reply.length > 0 && Array.isArray(reply[0])) for (const pair of reply as unknown[][]) add(pair[0], pair[1]);
  else for (let i = 0; i + 1 < reply.length; i += 2) add(reply[i], reply[i + 1]);
  return out;
}

/** A reply of the wrong shape (a client with custom reply mapping): reported as a storage failure. */
function unexpected(command: string): Error {
  return new Error(`unexpected reply to ${command}`);
}

/** Validates options once, at construction; returns the prefix with its ':' separator (or ''). */
function checkOptions(options: RedisStorageOptions): { client: RedisClientLike; prefix: string; closeClient: boolean; timeout: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected an object, got ${describeType(options)}`);
  }
  const { client, prefix = '', closeClient = false, timeout = DEFAULT_TIMEOUT_MS } = options;
  const c = client as unknown as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || (typeof c.call !== 'function' && typeof c.sendCommand !== 'function')) {
    throw new TypeError(`"client" expected a node-redis or ioredis client, got ${describeType(client)}`);
  }
  if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected a string, got ${describeType(prefix)}`);
  if (!PREFIX.test(prefix)) {
    throw new RangeError(`"prefix" expected only [A-Za-z0-9_.-] characters, got ${JSON.stringify(prefix)}`);
  }
  if (typeof closeClient !== 'boolean') throw new TypeError(`"closeClient" expected a boolean, got ${describeType(closeClient)}`);
  if (typeof timeout !== 'number') throw new TypeError(`"timeout" expected a number of milliseconds, got ${describeType(timeout)}`);
  if (!Number.isSafeInteger(timeout) || timeout < 0) {
    throw new RangeError(`"timeout" expected a non-negative integer of milliseconds, got ${timeout}`);
  }
  return { client, prefix: prefix === '' ? '' : `${prefix}:`, closeClient, timeout };
}
