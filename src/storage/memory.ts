/**
 * A bounded, in-process session store (spec 5.1, 5.2). Meant for tests, development and single-process
 * deployments: records vanish on restart and are not shared between processes.
 *
 * Design choices, and why:
 * - No timers. Expiry is checked lazily against the `now` each call receives, so a fixed or fake clock
 *   drives every timeline and an idle store costs no CPU (STYLE.md: no per-key timers).
 * - A record is live while `now < expiresAt`, with `expiresAt = now + ttl`, like Redis `EX` and the shm
 *   dictionary: a record written at `t` with ttl 1 is readable at `t` and gone at `t + 1`.
 * - Bounded by `maxEntries` records. A `Map` keeps insertion order and a write re-inserts its record, so the
 *   first entry is the least recently written; when full, expired records among the oldest few are dropped
 *   first, then the oldest. Every `set` stays O(1) amortised: the oldest entries are read through one
 *   long-lived iterator, because V8 leaves a deleted entry as a hole until the table is next rebuilt, and a
 *   fresh `keys()` on a full store would step over thousands of them (measured 12 µs per `set` at 10 000).
 * - Small per idle session (issue 5: at most 300 bytes at 1e6 sessions; `BENCH_ONLY=memory npm run bench`).
 *   A record is one flat string, `<expiresAt>:<value>`, under the name `<namespace id>:<key>`: no object
 *   per record (40 bytes), no repeated namespace text, and both strings flat, not the concatenation trees
 *   (cons strings) V8 builds for `a + b`, which cost another 100 or so bytes. See `flat`.
 * - Metadata index names follow `utils.get_name` (spec 5.2): `prefix:namespace:audience:subject`. Records
 *   are only ever reached through this object, so their internal names need no prefix.
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import type { Storage, StorageDeleteResult, StorageMetadata, StorageRecord, StorageSetInput, StorageSetResult } from './types.ts';
import { checkKey, checkMetadata, checkNamePart, checkNamespace, checkSetInput, checkTime, describeType, successorList, appendSuccessor } from './validate.ts';

/** Options of {@link memoryStorage}. */
export interface MemoryStorageOptions {
  /** The most records held at once; the least recently written are evicted beyond it. Default 10 000. */
  readonly maxEntries?: number | undefined;
  /** Prepended to every name as lua's `prefix:name:key`; `[A-Za-z0-9_.-]*`, empty means none. */
  readonly prefix?: string | undefined;
}

/** The store returned by {@link memoryStorage}: a {@link Storage} whose optional methods all exist. */
export interface MemoryStorage extends Storage {
  /** Records currently held, live or expired but not yet pruned. */
  readonly size: number;
  /** Lists the live keys of one audience + subject with their expiry (Unix seconds). */
  readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /** Reads a live record with its successor tokens (compare-and-set saves). */
  getRecord(namespace: string, key: string, now: number): Promise<StorageRecord | null>;
  /** Deletes a record and reports its successor tokens. */
  delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<StorageDeleteResult>;
  /** Drops every record; later calls reject with a `STORAGE_ERROR`. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_ENTRIES = 10_000;
/** How many of the oldest records eviction inspects for expired ones: a constant, so `set` stays O(1). */
const EVICTION_SCAN = 8;
const PREFIX = /^[A-Za-z0-9_.-]*$/;

/** An index of one audience + subject: storage key -> expiry. */
type MetadataIndex = Map<string, number>;

/** The mutable state of one store; module functions below operate on it, so no closures per entry. */
interface State {
  readonly maxEntries: number;
  /** The prefix with its ':' separator, or ''. */
  readonly prefix: string;
  /** Record name (`<namespace id>:<key>`) -> `<expiresAt>:<value>`, oldest written first. */
  readonly records: Map<string, string>;
  /** Record name -> its successor tokens joined by spaces; only replaced records have one. */
  readonly successors: Map<string, string>;
  /** Namespace -> its record name prefix `<id>:`, ids numbered from 0 in order of first use. */
  readonly namespaces: Map<string, string>;
  readonly indexes: Map<string, MetadataIndex>;
  /** Index entries added since the last full sweep (an over-estimate: removals are not subtracted). */
  indexAdds: number;
  /** `indexAdds` beyond which every index is swept. */
  sweepAt: number;
  closed: boolean;
  /** Reads record names oldest first; everything it has passed is deleted or in `front`. */
  cursor: Iterator<string> | undefined;
  /** The oldest record names, taken from `cursor` and still held, oldest first (at most `EVICTION_SCAN`). */
  readonly front: string[];
}

/**
 * Creates a bounded in-memory store.
 * @param options - `maxEntries` (default 10 000) and `prefix` (default none)
 * @returns a plain object implementing {@link Storage}, plus `size`
 * @throws TypeError when an option has the wrong type
 * @throws RangeError when `maxEntries` is not a positive integer or `prefix` has a character outside `[A-Za-z0-9_.-]`
 * @example
 * const storage = memoryStorage({ maxEntries: 1000 });
 * await storage.set({ namespace: 'session', key, value: '["..."]', ttl: 3600, now: 1700000000 });
 * await storage.get('session', key, 1700000001); // '["..."]'
 */
export function memoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const { maxEntries, prefix } = checkOptions(options);
  const state: State = {
    maxEntries,
    prefix,
    records: new Map(),
    successors: new Map(),
    namespaces: new Map(),
    indexes: new Map(),
    indexAdds: 0,
    sweepAt: 2 * maxEntries,
    closed: false,
    cursor: undefined,
    front: [],
  };
  // async methods: a validation or closed-store error is a rejection, never a synchronous throw.
  return {
    name: 'memory',
    get size(): number {
      return state.records.size;
    },
    async set(input: StorageSetInput): Promise<StorageSetResult | undefined> {
      ensureOpen(state);
      checkSetInput(input);
      return setRecord(state, input);
    },
    async get(namespace: string, key: string, now: number): Promise<string | null> {
      ensureOpen(state);
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      return getRecord(state, namespace, key, now);
    },
    async getRecord(namespace: string, key: string, now: number): Promise<StorageRecord | null> {
      ensureOpen(state);
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      const value = getRecord(state, namespace, key, now);
      return value === null ? null : { value, successors: successorList(state.successors.get(recordName(state, namespace, key))) };
    },
    async delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<StorageDeleteResult> {
      ensureOpen(state);
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      if (metadata !== undefined) checkMetadata(metadata);
      return deleteRecord(state, namespace, key, now, metadata);
    },
    async readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>> {
      ensureOpen(state);
      checkNamespace(namespace);
      checkNamePart(audience, 'audience');
      checkNamePart(subject, 'subject');
      checkTime(now, 'now');
      return readIndex(state, namespace, audience, subject, now);
    },
    async close(): Promise<void> {
      state.closed = true;
      state.records.clear();
      state.successors.clear();
      state.cursor = undefined;
      state.front.length = 0;
      state.namespaces.clear();
      state.indexes.clear();
    },
  };
}

function ensureOpen(state: State): void {
  if (state.closed) throw new SessionError('STORAGE_ERROR', 'memory storage is closed', { storage: 'memory' });
}

function recordName(state: State, namespace: string, key: string): string {
  let id = state.namespaces.get(namespace);
  if (id === undefined) {
    id = `${state.namespaces.size}:`;
    state.namespaces.set(namespace, id);
  }
  return id + key;
}

/**
 * Returns `text` after making V8 hold it as one flat sequential string. `a + b` and template literals make
 * a cons string (a node pointing at both parts, 32 bytes on top of them) that V8 flattens lazily, in
 * place, on the first character access; the garbage collector then drops the node. Stored strings live
 * long, so they are flattened at once: measured at 1e6 records, 397 -> 278 bytes per record (and 238
 * without the record object). Reading one character is the cheapest access that flattens (`[s].join('')`
 * returns `s` itself; a `Buffer` round trip copies twice).
 */
function flat(text: string): string {
  if (text.length > 0) text.charCodeAt(0);
  return text;
}

/** A record's string: the expiry, `:`, the value. `String(n)` round-trips every finite number exactly. */
function packRecord(expiresAt: number, value: string): string {
  return flat(`${expiresAt}:${value}`);
}

/** The expiry of a packed record: `parseFloat` reads the number and stops at the `:`. */
function recordExpiry(record: string): number {
  return Number.parseFloat(record);
}

/** The value of a packed record. */
function recordValue(record: string): string {
  return record.slice(record.indexOf(':') + 1);
}

function indexName(state: State, namespace: string, audience: string, subject: string): string {
  return `${state.prefix}${namespace}:${audience}:${subject}`;
}

/** Synchronous, so checking the old record before writing the new one sees what a check after would. */
function setRecord(state: State, input: StorageSetInput): StorageSetResult | undefined {
  const { namespace, key, value, ttl, now, oldKey, staleTtl, successor } = input;
  let result: StorageSetResult | undefined;
  if (oldKey !== undefined) {
    const oldName = recordName(state, namespace, oldKey);
    const old = state.records.get(oldName);
    const live = old !== undefined && now < recordExpiry(old);
    if (oldKey !== key) result = { oldKeyLive: live };
    if (successor !== undefined && live) {
      const held = state.successors.get(oldName);
      // Compare-and-set: the record was replaced already, so nothing is written.
      if (input.exclusive === true && held !== undefined) return { oldKeyLive: true, conflict: true };
      state.successors.set(oldName, flat(appendSuccessor(held, successor)));
    }
    // min(): a stale TTL shortens the old record's life, never extends it (spec 5.1). Replacing the value
    // of an existing name keeps its place in the eviction order, as editing it in place would.
    const stale = now + (staleTtl ?? 0);
    if (live && stale < recordExpiry(old)) state.records.set(oldName, packRecord(stale, recordValue(old)));
  }
  // With oldKey === key the record shortened above is replaced right here, so no special case is needed.
  const name = flat(recordName(state, namespace, key));
  // Delete, then set: re-insertion moves the record to the newest end of the eviction order.
  dropRecord(state, name);
  state.records.set(name, packRecord(now + ttl, value));
  evict(state, now);
  if (input.metadata !== undefined) addToIndexes(state, input, input.metadata, now + ttl);
  return result;
}

function getRecord(state: State, namespace: string, key: string, now: number): string | null {
  const name = recordName(state, namespace, key);
  const record = state.records.get(name);
  if (record === undefined) return null;
  if (now < recordExpiry(record)) return recordValue(record);
  dropRecord(state, name); // lazy expiry: the read that finds a record dead frees it
  return null;
}

function deleteRecord(state: State, namespace: string, key: string, now: number, metadata?: StorageMetadata): StorageDeleteResult {
  const name = recordName(state, namespace, key);
  const record = state.records.get(name);
  const successors = record !== undefined && now < recordExpiry(record) ? successorList(state.successors.get(name)) : [];
  dropRecord(state, name);
  const result = { successors };
  if (metadata === undefined) return result;
  for (let i = 0; i < metadata.audiences.length; i++) {
    const name = indexName(state, namespace, metadata.audiences[i]!, metadata.subjects[i]!);
    const index = state.indexes.get(name);
    if (index === undefined) continue;
    index.delete(key); // prune() would drop it too, its record being gone; explicit is clearer
    prune(state, name, index, namespace, now);
  }
  return result;
}

function readIndex(state: State, namespace: string, audience: string, subject: string, now: number): Map<string, number> {
  const name = indexName(state, namespace, audience, subject);
  const index = state.indexes.get(name);
  if (index === undefined) return new Map();
  prune(state, name, index, namespace, now);
  // A copy: callers must not be able to edit the index behind the store's back.
  return new Map(index);
}

/** Deletes a record (and its successors), and forgets it among the oldest if it is there. */
function dropRecord(state: State, name: string): void {
  state.successors.delete(name);
  if (!state.records.delete(name)) return;
  const i = state.front.indexOf(name);
  if (i !== -1) state.front.splice(i, 1);
}

/** Tops `front` up to `EVICTION_SCAN` names from the cursor, starting a new one when it has run out. */
function fillFront(state: State): void {
  const { records, front } = state;
  while (front.length < EVICTION_SCAN && front.length < records.size) {
    const next = state.cursor?.next();
    if (next === undefined || next.done === true) {
      // Everything passed is deleted or in `front`: a new cursor starts with `front`'s names, in order.
      state.cursor = records.keys();
      front.length = 0;
      continue;
    }
    front.push(next.value);
  }
}

/** Keeps `records.size <= maxEntries`, dropping expired records among the oldest first. */
function evict(state: State, now: number): void {
  const { records, maxEntries, front } = state;
  if (records.size <= maxEntries) return;
  fillFront(state);
  for (let i = 0; i < front.length; ) {
    const name = front[i]!;
    if (now < recordExpiry(records.get(name)!)) i++;
    else dropRecord(state, name);
  }
  // The newest record is last and the map holds more than maxEntries >= 1, so it is never the first.
  while (records.size > maxEntries) {
    if (front.length === 0) fillFront(state);
    dropRecord(state, front[0]!);
  }
}

function addToIndexes(state: State, input: StorageSetInput, metadata: StorageMetadata, expiresAt: number): void {
  const { namespace, key, oldKey, now } = input;
  for (let i = 0; i < metadata.audiences.length; i++) {
    const name = indexName(state, namespace, metadata.audiences[i]!, metadata.subjects[i]!);
    const index = state.indexes.get(name) ?? new Map<string, number>();
    prune(state, name, index, namespace, now);
    // The replaced session must not be listed (nor revoked): it only survives for in-flight requests.
    if (oldKey !== undefined) index.delete(oldKey);
    index.set(key, expiresAt);
    // (Re-)registers the index: it is new, or prune() dropped it for holding only dead entries.
    state.indexes.set(name, index);
    state.indexAdds++;
  }
  maybeSweep(state, now);
}

/**
 * An index entry is live while its expiry is ahead and its record is still held: entries of records that
 * were evicted, expired or deleted without metadata are dead. Removes dead entries, and the index if empty.
 */
function prune(state: State, name: string, index: MetadataIndex, namespace: string, now: number): void {
  for (const [key, expiresAt] of index) {
    const record = state.records.get(recordName(state, namespace, key));
    if (!(now < expiresAt) || record === undefined || !(now < recordExpiry(record))) index.delete(key);
  }
  if (index.size === 0) state.indexes.delete(name);
}

/**
 * Indexes nobody touches again would keep dead entries forever, so once the entries added since the last
 * sweep outgrow the live ones, every index is pruned. A sweep costs O(entries) but follows at least as many
 * additions, so it is O(1) amortised per `set`, and index memory stays proportional to live records.
 */
function maybeSweep(state: State, now: number): void {
  if (state.indexAdds <= state.sweepAt) return;
  let live = 0;
  for (const [name, index] of state.indexes) {
    prune(state, name, index, namespaceOf(name, state.prefix), now);
    live += index.size;
  }
  state.indexAdds = live;
  state.sweepAt = 2 * Math.max(live, state.maxEntries);
}

/** The namespace part of an index name `prefix:namespace:audience:subject`. */
function namespaceOf(name: string, prefix: string): string {
  const rest = name.slice(prefix.length);
  return rest.slice(0, rest.indexOf(':'));
}

/** Validates options once, at construction; returns the prefix with its ':' separator (or ''). */
function checkOptions(options: MemoryStorageOptions): { maxEntries: number; prefix: string } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected an object, got ${describeType(options)}`);
  }
  const { maxEntries = DEFAULT_MAX_ENTRIES, prefix = '' } = options;
  if (typeof maxEntries !== 'number') {
    throw new TypeError(`"maxEntries" expected a positive integer, got ${describeType(maxEntries)}`);
  }
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`"maxEntries" expected a positive integer, got ${maxEntries}`);
  }
  if (typeof prefix !== 'string') {
    throw new TypeError(`"prefix" expected a string, got ${describeType(prefix)}`);
  }
  if (!PREFIX.test(prefix)) {
    throw new RangeError(`"prefix" expected only [A-Za-z0-9_.-] characters, got ${JSON.stringify(prefix)}`);
  }
  return { maxEntries, prefix: prefix === '' ? '' : `${prefix}:` };
}
