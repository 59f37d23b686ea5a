/**
 * A session store that keeps one file per record in a local directory (spec 5.2, 5.4 "file"; security
 * checklist 5.2 and cases 32, 40-42). Suited to single-host deployments that want sessions to survive a
 * restart without running a database.
 *
 * Design choices, and why:
 * - **Names.** A record lives in `<prefix>_<namespace>_<key>`, lua-resty-session's `prefix_name_key` with
 *   the prefix part omitted when empty. The key has a fixed length (43) and comes last, so within one store
 *   the name is unambiguous even though `_` may occur in namespaces and keys. Metadata indexes use `.`
 *   between namespace, audience and subject (`<prefix>_<namespace>.<audience>.<subject>.meta`): `.` is not
 *   in the base64url alphabet, so audience `a_b` + subject `c` and audience `a` + subject `b_c` can never
 *   share an index (with lua's `_` they would, and one subject would list another's sessions).
 * - **Paths.** Every part is checked against a strict allow-list before any I/O, and the joined path is
 *   asserted to sit directly in the directory (GO-2024-2730): a hostile id can never name another file.
 * - **Atomic writes.** A record is written to a unique temp file (`wx`, mode 0600) in the same directory,
 *   then renamed over the target, so a reader sees the old file or the new one, never a torn one
 *   (checklist 5.2: a plain `writeFile` truncates first). Temp files left by a crash are swept.
 * - **Self-validating content.** The first line is `httpsession-file-v1 <exp> <byteLength>`; a file whose
 *   body is not exactly `byteLength` bytes (truncated, zero bytes, foreign) reads as a miss and is deleted
 *   best-effort, never returned as a record (checklist case 40).
 * - **Lazy expiry.** The expiry (Unix seconds) lives in the header and is compared with the `now` each
 *   call receives, like the memory store: a record is live while `now < exp`. A probabilistic sweep
 *   (lua's p = 1/2000 per set) deletes what nobody reads again.
 *
 * This module holds the options and the {@link Storage} methods; the rest lives in `./file/`: `paths.ts`
 * (names), `atomic.ts` (temp + rename, reads and deletes that know which file they saw), `records.ts` (the
 * record format), `indexes.ts` (metadata indexes), `sweep.ts` and `state.ts` (shared state, typed errors).
 *
 * @module
 */
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { addToIndexes, readIndex, removeFromIndexes } from './file/indexes.ts';
import { indexPath, indexPaths, namePatterns, recordPath, setPaths, type SetPaths } from './file/paths.ts';
import { getRecord, shortenRecord, writeRecord } from './file/records.ts';
import { ensureOpen, errorCode, io, NAME, type State } from './file/state.ts';
import { maybeSweep, sweepDirectory } from './file/sweep.ts';
import type { Storage, StorageMetadata, StorageSetInput, StorageSetResult } from './types.ts';
import { checkKey, checkMetadata, checkNamePart, checkNamespace, checkSetInput, checkTime, describeType } from './validate.ts';

/**
 * Options of {@link fileStorage}.
 * @example
 * const options: FileStorageOptions = { directory: '/var/lib/myapp/sessions', prefix: 'myapp', fsync: true };
 */
export interface FileStorageOptions {
  /** The directory holding the files; created (mode 0700, recursively) on first use when missing. */
  readonly directory: string;
  /** Prepended to every file name as lua's `prefix_name_key`; `[A-Za-z0-9_.-]*`, empty means none. */
  readonly prefix?: string | undefined;
  /**
   * Chance, per `set`, of starting a sweep of expired files in the background (never awaited by the
   * `set`). Default 1/2000, lua-resty-session's rate; `0` disables it (call {@link FileStorage.sweep}
   * from a timer or cron instead).
   */
  readonly sweepProbability?: number | undefined;
  /** The random source for `sweepProbability` and index compaction, returning [0, 1); default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /**
   * Flush each write to disk (`fsync` of the temp file before the rename, then of the directory) so a
   * record survives a power loss. Default `false`: the rename alone already guarantees a reader never
   * sees a torn file, even after a process crash; only an OS crash or power cut can lose the newest
   * writes, which for sessions means a user logs in again. Turning it on costs one or two disk flushes
   * per save.
   */
  readonly fsync?: boolean | undefined;
}

/**
 * The store returned by {@link fileStorage}: a {@link Storage} with its optional methods and `sweep`.
 * @example
 * const storage: FileStorage = fileStorage({ directory: '/var/lib/myapp/sessions', sweepProbability: 0 });
 * setInterval(() => void storage.sweep(Math.floor(Date.now() / 1000)), 600_000).unref();
 */
export interface FileStorage extends Storage {
  /**
   * Lists the live keys of one audience + subject with their expiry (Unix seconds), dropping entries
   * whose record file is gone or expired; rewrites the index when it is mostly dead lines.
   * @param namespace - the cookie name, e.g. `'session'`
   * @param audience - base64url of the audience
   * @param subject - the encoded subject (base64url)
   * @param now - the current time, Unix seconds
   * @returns storage key -> expiry
   * @example
   * const live = await storage.readMetadata('session', 'c2hvcA', 'YWxpY2U', Math.floor(Date.now() / 1000));
   */
  readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /**
   * Stops the store; later calls reject with a `STORAGE_ERROR`. Waits for a running background sweep, so
   * the directory can be removed afterwards. Idempotent.
   * @returns when the store is closed
   * @example
   * await storage.close();
   */
  close(): Promise<void>;
  /**
   * Deletes this store's expired and corrupt record files, indexes with no live entry, and temp files
   * older than one hour before `now` (younger ones may be writes in progress). Best-effort: a file that
   * cannot be removed is skipped; only an unreadable directory rejects.
   * @param now - the current time, Unix seconds (also the reference for the temp files' age)
   * @returns how many files were removed
   * @example
   * const removed = await storage.sweep(Math.floor(Date.now() / 1000));
   */
  sweep(now: number): Promise<number>;
}

const DEFAULT_SWEEP_PROBABILITY = 1 / 2000;
const PREFIX = /^[A-Za-z0-9_.-]*$/;
/** Keeps `prefix_namespace_key` and its temp name (+22) well under the usual 255-byte file-name limit. */
const MAX_PART = 64;

/**
 * Creates a file-system session store.
 * @param options - `directory` (required), `prefix`, `sweepProbability`, `random`, `fsync`
 * @returns a plain object implementing {@link Storage}, plus `readMetadata`, `close` and `sweep`
 * @throws TypeError when `directory` is not a non-empty string or an option has the wrong type
 * @throws RangeError when `prefix` has a character outside `[A-Za-z0-9_.-]` or `sweepProbability` is outside [0, 1]
 * @example
 * import { fileStorage } from 'httpsession/storage/file';
 * const storage = fileStorage({ directory: '/var/lib/myapp/sessions' });
 * const sessions = createSessionManager({ secret, storage });
 */
export function fileStorage(options: FileStorageOptions): FileStorage {
  const state = createState(options);
  // async methods: a validation or closed-store error is a rejection, never a synchronous throw.
  return {
    name: NAME,
    async set(input: StorageSetInput): Promise<StorageSetResult | undefined> {
      ensureOpen(state);
      checkSetInput(input, { maxNamespace: MAX_PART });
      const paths = setPaths(state, input);
      const result = await io(state, 'write a record', () => setRecord(state, input, paths));
      maybeSweep(state, input.now);
      return result;
    },
    async get(namespace: string, key: string, now: number): Promise<string | null> {
      ensureOpen(state);
      checkNamespace(namespace, MAX_PART);
      checkKey(key, 'key');
      checkTime(now, 'now');
      const path = recordPath(state, namespace, key);
      return io(state, 'read a record', () => getRecord(path, now));
    },
    async delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<void> {
      ensureOpen(state);
      checkNamespace(namespace, MAX_PART);
      checkKey(key, 'key');
      checkTime(now, 'now');
      if (metadata !== undefined) checkMetadata(metadata);
      const path = recordPath(state, namespace, key);
      const indexes = metadata === undefined ? [] : indexPaths(state, namespace, metadata);
      await io(state, 'delete a record', () => deleteRecord(state, path, key, indexes));
    },
    async readMetadata(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>> {
      ensureOpen(state);
      checkNamespace(namespace, MAX_PART);
      checkNamePart(audience, 'audience');
      checkNamePart(subject, 'subject');
      checkTime(now, 'now');
      const path = indexPath(state, namespace, audience, subject);
      const { live } = await io(state, 'read metadata', () => readIndex(state, namespace, path, now));
      return live;
    },
    async sweep(now: number): Promise<number> {
      ensureOpen(state);
      checkTime(now, 'now');
      return io(state, 'sweep', () => sweepDirectory(state, now));
    },
    async close(): Promise<void> {
      state.closed = true;
      // A background sweep may still be deleting files: let it finish so callers can remove the directory.
      await state.sweeping;
    },
  };
}

/** Validates the options once, at construction, and builds the store's state. */
function createState(options: FileStorageOptions): State {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected an object, got ${describeType(options)}`);
  }
  const { directory, prefix = '', sweepProbability = DEFAULT_SWEEP_PROBABILITY, random = Math.random, fsync = false } = options;
  if (typeof directory !== 'string' || directory === '' || directory.includes('\0')) {
    throw new TypeError(`"directory" expected a non-empty path string, got ${describeType(directory)}`);
  }
  if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected a string, got ${describeType(prefix)}`);
  if (!PREFIX.test(prefix) || prefix.length > MAX_PART) {
    throw new RangeError(`"prefix" expected at most ${MAX_PART} [A-Za-z0-9_.-] characters, got ${JSON.stringify(prefix.slice(0, 80))}`);
  }
  if (typeof sweepProbability !== 'number') {
    throw new TypeError(`"sweepProbability" expected a number in [0, 1], got ${describeType(sweepProbability)}`);
  }
  if (!(sweepProbability >= 0 && sweepProbability <= 1)) {
    throw new RangeError(`"sweepProbability" expected a number in [0, 1], got ${sweepProbability}`);
  }
  if (typeof random !== 'function') throw new TypeError(`"random" expected a function, got ${describeType(random)}`);
  if (typeof fsync !== 'boolean') throw new TypeError(`"fsync" expected a boolean, got ${describeType(fsync)}`);
  const p = prefix === '' ? '' : `${prefix}_`;
  return {
    directory: resolve(directory),
    prefix: p,
    sweepProbability,
    random,
    fsync,
    ...namePatterns(p),
    ready: undefined,
    locks: new Map(),
    sweeping: undefined,
    closed: false,
  };
}

/**
 * The new record first, as in the Redis store: a failed write leaves the old record its full life, and
 * the old record is looked at only once the new one exists, so a concurrent delete of it is seen.
 */
async function setRecord(state: State, input: StorageSetInput, paths: SetPaths): Promise<StorageSetResult | undefined> {
  const { value, ttl, now, staleTtl } = input;
  const expiresAt = now + ttl;
  await writeRecord(state, paths.record, value, expiresAt);
  const oldKeyLive = paths.old === undefined ? undefined : await shortenRecord(state, paths.old, now, now + (staleTtl ?? 0));
  // Index after the record: an index entry whose record does not exist yet would be dropped as dead.
  if (paths.indexes.length > 0) await addToIndexes(state, input, paths.indexes, expiresAt);
  return oldKeyLive === undefined ? undefined : { oldKeyLive };
}

/** Removes the record, then tombstones it in its indexes (a missing record is not an error). */
async function deleteRecord(state: State, path: string, key: string, indexes: readonly string[]): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  await removeFromIndexes(state, key, indexes);
}
