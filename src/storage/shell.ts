/**
 * The part every client-backed store (PostgreSQL, MySQL, memcached) shares: argument checks before any
 * I/O, the per-call deadline, failures as `STORAGE_ERROR` naming the store, and the closed state. A store
 * only supplies its I/O ({@link StoreOps}), already given checked arguments.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { storageIo, type Deadline } from './deadline.ts';
import { checkSweep, closedError, type SweepOptions } from './sql.ts';
import type { Storage, StorageDeleteResult, StorageMetadata, StorageRecord, StorageSetInput, StorageSetResult } from './types.ts';
import { checkMetadata, checkMetadataArgs, checkRecordArgs, checkSetInput } from './validate.ts';

/** The I/O of one store, called with checked arguments, inside the deadline. */
export interface StoreOps {
  set(input: StorageSetInput, deadline: Deadline): Promise<StorageSetResult | undefined>;
  get(namespace: string, key: string, now: number): Promise<string | null>;
  delete(namespace: string, key: string, now: number, metadata: StorageMetadata | undefined): Promise<void | StorageDeleteResult>;
  /** Reads a record with its successors; a store with it supports compare-and-set saves. */
  getRecord?(namespace: string, key: string, now: number): Promise<StorageRecord | null>;
  /** Ends the client (called by `close()` only with `closeClient: true`). */
  end(): Promise<void>;
}

/** The I/O of a store with a subject index and a sweep (the SQL stores). */
export interface IndexedStoreOps extends StoreOps {
  readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /** Deletes up to `limit` records expired at `now`; resolves to how many. */
  sweep(now: number, limit: number): Promise<number>;
}

/** What the shell adds to every store: `close()`. */
export interface ClosableStorage extends Storage {
  /** Stops using the client (and ends it with `closeClient: true`); later calls reject. Idempotent. */
  close(): Promise<void>;
}

/** The shell of a store with an index and a sweep. */
export interface IndexedStorage extends ClosableStorage {
  /** The live records listed for a subject: storage key to expiry (Unix seconds). */
  readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /**
   * Deletes expired records (and their index entries), at most `options.limit` per call.
   * @returns how many records were deleted
   */
  sweep(options?: SweepOptions): Promise<number>;
}

/** The settings of a shell. */
export interface ShellSettings {
  /** The store's name, in errors. */
  readonly name: string;
  /** The deadline of every call, in milliseconds; `0` for none. */
  readonly timeout: number;
  /** End the client on `close()`. */
  readonly closeClient: boolean;
}

/**
 * Wraps a store's I/O into a {@link Storage}; with index ops (`readMetadata`, `sweep`), those too.
 * @param settings - name, timeout, closeClient
 * @param ops - the store's I/O
 * @returns the store: every method checks its arguments (TypeError/RangeError, before any I/O), runs its
 * I/O under the deadline, and rejects with `STORAGE_ERROR` on any failure of it; after `close()`, every
 * call rejects with `STORAGE_ERROR`
 * @example
 * return storageShell({ name: 'memcached', timeout, closeClient }, { set, get, delete: del, end });
 */
export function storageShell(settings: ShellSettings, ops: IndexedStoreOps): IndexedStorage;
export function storageShell(settings: ShellSettings, ops: StoreOps): ClosableStorage;
export function storageShell(settings: ShellSettings, ops: StoreOps | IndexedStoreOps): ClosableStorage | IndexedStorage {
  const { name } = settings;
  const io = storageIo(name, settings.timeout);
  let closed = false;
  // Checked first, like the memory store: a closed store rejects whatever the arguments.
  const ensureOpen = (): void => {
    if (closed) throw closedError(name);
  };
  const store: ClosableStorage = {
    name,
    async set(input: StorageSetInput): Promise<StorageSetResult | undefined> {
      ensureOpen();
      checkSetInput(input);
      return io('save a session', (deadline) => ops.set(input, deadline));
    },
    async get(namespace: string, key: string, now: number): Promise<string | null> {
      ensureOpen();
      checkRecordArgs(namespace, key, now);
      return io('read a session', () => ops.get(namespace, key, now));
    },
    async delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<void | StorageDeleteResult> {
      ensureOpen();
      checkRecordArgs(namespace, key, now);
      if (metadata !== undefined) checkMetadata(metadata);
      const result = await io('delete a session', () => ops.delete(namespace, key, now, metadata));
      return ops.getRecord === undefined ? undefined : result;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (settings.closeClient) await ops.end();
    },
  };
  const getRecord = ops.getRecord;
  if (getRecord !== undefined) {
    (store as { getRecord?: Storage['getRecord'] }).getRecord = async (namespace: string, key: string, now: number): Promise<StorageRecord | null> => {
      ensureOpen();
      checkRecordArgs(namespace, key, now);
      return io('read a session', () => getRecord.call(ops, namespace, key, now));
    };
  }
  if (!('sweep' in ops)) return store;
  const indexed: IndexedStorage = {
    ...store,
    async readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>> {
      ensureOpen();
      checkMetadataArgs(namespace, audience, subject, now);
      return io('read session metadata', () => ops.readMetadata(namespace, audience, subject, now));
    },
    async sweep(options: SweepOptions = {}): Promise<number> {
      ensureOpen();
      const { now, limit } = checkSweep(options);
      return io('sweep expired sessions', () => ops.sweep(now, limit));
    },
  };
  return indexed;
}
