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
 * @module
 */
import { appendFile, constants, mkdir, open, opendir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { SessionError } from '../errors.ts';
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

const NAME = 'file';
const MAGIC = 'httpsession-file-v1';
/** The header line: magic, expiry as JavaScript prints a finite number, body length in bytes. */
const HEADER = /^httpsession-file-v1 (-?\d+(?:\.\d+)?(?:e[+-]\d+)?) (\d{1,15})$/;
/** Longer than any header this module writes (20 + 1 + ~24 + 1 + 15 + 1). */
const HEADER_MAX = 96;
const DEFAULT_SWEEP_PROBABILITY = 1 / 2000;
const PREFIX = /^[A-Za-z0-9_.-]*$/;
/** Keeps `prefix_namespace_key` and its temp name (+22) well under the usual 255-byte file-name limit. */
const MAX_PART = 64;
/** Index names longer than this use a hash of `audience.subject` instead (long raw subjects). */
const MAX_INDEX_NAME = 200;
/** Temp files younger than this may belong to a write in progress, in this or another process. */
const TEMP_MAX_AGE = 3600;
/** A set with metadata reads its indexes for compaction with this chance, bounding their growth. */
const COMPACT_CHANCE = 1 / 16;
/** Below this many dead lines an index is not worth rewriting. */
const COMPACT_MIN_DEAD = 16;
/** Rename retries on EPERM/EBUSY (Windows: another handle open) and their first backoff, doubling. */
const RENAME_RETRIES = 4;
const RENAME_BACKOFF_MS = 10;

interface State {
  /** Absolute, normalised: containment is checked against it. */
  readonly directory: string;
  /** The prefix with its '_' separator, or ''. */
  readonly prefix: string;
  readonly sweepProbability: number;
  readonly random: () => number;
  readonly fsync: boolean;
  /** Names of this store's files, for the sweep. */
  readonly recordPattern: RegExp;
  readonly indexPattern: RegExp;
  /** The pending or finished `mkdir`; reset on failure so a later call retries. */
  ready: Promise<void> | undefined;
  /** Per-index promise chains: appends and compactions of one index never interleave in-process. */
  readonly locks: Map<string, Promise<void>>;
  sweeping: Promise<void> | undefined;
  closed: boolean;
}

/** A record as parsed from its file. */
interface ParsedRecord {
  readonly expiresAt: number;
  readonly value: string;
}

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
      const { live } = await io(state, 'read metadata', () => withLock(state, path, () => refreshIndex(state, namespace, path, now)));
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
  const escaped = p.replace(/\./g, '\\.');
  return {
    directory: resolve(directory),
    prefix: p,
    sweepProbability,
    random,
    fsync,
    recordPattern: new RegExp(`^${escaped}[A-Za-z0-9_-]+_[A-Za-z0-9_-]{43}$`),
    indexPattern: new RegExp(`^${escaped}[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+){1,2}\\.meta$`),
    ready: undefined,
    locks: new Map(),
    sweeping: undefined,
    closed: false,
  };
}

function ensureOpen(state: State): void {
  if (state.closed) throw new SessionError('STORAGE_ERROR', 'file storage is closed', { storage: NAME });
}

/**
 * Creates the directory once (0700: session records are bearer secrets), then runs `fn`, typing errors.
 * If the directory vanished since (a tmp cleaner, an operator), ENOENT re-creates it and retries once.
 */
async function io<T>(state: State, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    try {
      await ensureDirectory(state);
      return await fn();
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      state.ready = undefined;
      await ensureDirectory(state);
      return await fn();
    }
  } catch (cause) {
    if (cause instanceof SessionError) throw cause;
    throw new SessionError('STORAGE_ERROR', `file storage failed to ${what}`, { storage: NAME, cause: withoutPath(cause) });
  }
}

/**
 * Node's fs errors name the file, and a record's file name holds the session id (unless
 * `hashStorageKey`): the cause keeps the code, errno and system call, never the path.
 */
function withoutPath(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (e.path === undefined && e.dest === undefined) return err;
  const clean = new Error(`${e.code ?? 'error'}: ${e.syscall ?? 'file system call'} failed`) as NodeJS.ErrnoException;
  if (e.code !== undefined) clean.code = e.code;
  if (e.errno !== undefined) clean.errno = e.errno;
  if (e.syscall !== undefined) clean.syscall = e.syscall;
  return clean;
}

function ensureDirectory(state: State): Promise<void> {
  state.ready ??= mkdir(state.directory, { recursive: true, mode: 0o700 }).then(
    () => undefined,
    (err: unknown) => {
      state.ready = undefined;
      throw err;
    },
  );
  return state.ready;
}

// ---------------------------------------------------------------------------------------------------
// Names and paths

function recordPath(state: State, namespace: string, key: string): string {
  return inDirectory(state, `${state.prefix}${namespace}_${key}`);
}

function indexPaths(state: State, namespace: string, metadata: StorageMetadata): string[] {
  return metadata.audiences.map((audience, i) => indexPath(state, namespace, audience, metadata.subjects[i]!));
}

function indexPath(state: State, namespace: string, audience: string, subject: string): string {
  let name = `${state.prefix}${namespace}.${audience}.${subject}.meta`;
  // A long raw subject would exceed the file-name limit (ENAMETOOLONG on every save): hash it instead.
  // One '.'-segment instead of two, so a hashed name never equals an unhashed one.
  if (name.length > MAX_INDEX_NAME) name = `${state.prefix}${namespace}.${hex(sha256(new TextEncoder().encode(`${audience}.${subject}`)))}.meta`;
  return inDirectory(state, name);
}

/**
 * Joins a validated name to the directory and asserts that the result is a direct child of it. The
 * allow-lists already make this impossible to violate; the check keeps it so if they ever change.
 */
function inDirectory(state: State, name: string): string {
  const path = join(state.directory, name);
  if (dirname(path) !== state.directory || name === '.' || name === '..') {
    throw new TypeError('file storage refused a name that resolves outside its directory');
  }
  return path;
}

/** `<dir>/.<name>.<16 hex>.tmp`: unique per write, so concurrent writers never share a temp file. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${hex(globalThis.crypto.getRandomValues(new Uint8Array(8)))}.tmp`);
}

const TEMP = /^\.(.+)\.[0-9a-f]{16}\.tmp$/;

// ---------------------------------------------------------------------------------------------------
// Records

function encodeRecord(value: string, expiresAt: number): Buffer {
  const body = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC} ${String(expiresAt)} ${body.length}\n`, 'latin1'), body]);
}

/** Parses a header line; `null` unless it is exactly this module's format. */
function parseHeader(data: Buffer): { expiresAt: number; start: number; length: number } | null {
  const newline = data.subarray(0, HEADER_MAX).indexOf(0x0a);
  if (newline < 0) return null;
  const match = HEADER.exec(data.toString('latin1', 0, newline));
  if (match === null) return null;
  const expiresAt = Number(match[1]);
  const length = Number(match[2]);
  return Number.isFinite(expiresAt) ? { expiresAt, start: newline + 1, length } : null;
}

/** A whole record file; `null` when truncated, padded or not ours (a miss, never a record). */
function parseRecord(data: Buffer): ParsedRecord | null {
  const header = parseHeader(data);
  if (header === null || data.length - header.start !== header.length) return null;
  return { expiresAt: header.expiresAt, value: data.toString('utf8', header.start) };
}

/** Reads a file with the identity (dev, ino) of what was read; `null` when it does not exist. */
async function readWithStats(path: string, limit?: number): Promise<{ data: Buffer; stats: Stats } | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (limit === undefined) return { data: await handle.readFile(), stats };
    const buffer = Buffer.alloc(Math.min(limit, stats.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { data: buffer.subarray(0, bytesRead), stats };
  } finally {
    await handle.close();
  }
}

/**
 * Deletes `path` only if it is still the file that was read: a writer may have renamed a fresh record over
 * it meanwhile, and that one must survive. Best-effort: any error means "not removed".
 */
async function removeIfUnchanged(path: string, read: Stats): Promise<boolean> {
  try {
    const current = await stat(path);
    if (current.ino !== read.ino || current.dev !== read.dev || current.mtimeMs !== read.mtimeMs) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

async function getRecord(path: string, now: number): Promise<string | null> {
  const read = await readWithStats(path);
  if (read === null) return null;
  const record = parseRecord(read.data);
  if (record !== null && now < record.expiresAt) return record.value;
  // Expired, truncated or foreign: the read that finds it dead frees it (lazy expiry, checklist case 40).
  await removeIfUnchanged(path, read.stats);
  return null;
}

/** The files a `set` touches, computed (and contained) before any I/O. */
interface SetPaths {
  readonly record: string;
  /** The replaced record, unless there is none or it is the record itself. */
  readonly old: string | undefined;
  readonly indexes: readonly string[];
}

function setPaths(state: State, input: StorageSetInput): SetPaths {
  const { namespace, key, oldKey, metadata } = input;
  return {
    record: recordPath(state, namespace, key),
    // With oldKey === key the record is replaced anyway, so there is nothing to shorten.
    old: oldKey !== undefined && oldKey !== key ? recordPath(state, namespace, oldKey) : undefined,
    indexes: metadata === undefined ? [] : indexPaths(state, namespace, metadata),
  };
}

/**
 * The new record first, as in the Redis store: a failed write leaves the old record its full life, and
 * the old record is looked at only once the new one exists, so a concurrent delete of it is seen.
 */
async function setRecord(state: State, input: StorageSetInput, paths: SetPaths): Promise<StorageSetResult | undefined> {
  const { value, ttl, now, staleTtl } = input;
  const expiresAt = now + ttl;
  await writeAtomic(state, paths.record, encodeRecord(value, expiresAt));
  const oldKeyLive = paths.old === undefined ? undefined : await shortenRecord(state, paths.old, now, now + (staleTtl ?? 0));
  // Index after the record: an index entry whose record does not exist yet would be dropped as dead.
  if (paths.indexes.length > 0) await addToIndexes(state, input, paths.indexes, expiresAt);
  return oldKeyLive === undefined ? undefined : { oldKeyLive };
}

/**
 * min(): a stale TTL shortens the old record's life, never extends it (spec 5.1). Read, then rewrite
 * atomically; a missing or corrupt old record is left to the lazy expiry.
 * @returns whether the old record is live at `now` (what `get` would find)
 */
async function shortenRecord(state: State, path: string, now: number, limit: number): Promise<boolean> {
  const read = await readWithStats(path);
  const record = read === null ? null : parseRecord(read.data);
  if (record === null || !(now < record.expiresAt)) return false;
  if (record.expiresAt > limit) await writeAtomic(state, path, encodeRecord(record.value, limit));
  return true;
}

async function deleteRecord(state: State, path: string, key: string, indexes: readonly string[]): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  for (const index of indexes) {
    // A tombstone, appended only to an index that exists (no O_CREAT): deleting never creates files.
    await withLock(state, index, () => appendLines(index, `${key} -\n`, false));
  }
}

/**
 * Writes `data` to a unique temp file in the same directory, then renames it over `path`: rename is
 * atomic within a file system, so readers and concurrent writers see one complete version or another.
 * The temp file is removed on any failure (checklist case 42: no partial file left behind).
 */
async function writeAtomic(state: State, path: string, data: Buffer): Promise<void> {
  const temp = tempPathFor(path);
  let handle: FileHandle | undefined;
  let created = false;
  try {
    // 'wx': fail rather than share a temp name with another writer; 0600: records are bearer secrets.
    handle = await open(temp, 'wx', 0o600);
    created = true;
    await handle.writeFile(data);
    if (state.fsync) await handle.sync();
    await handle.close();
    handle = undefined;
    await renameWithRetry(temp, path);
    created = false;
  } catch (err) {
    await handle?.close().catch(() => undefined);
    if (created) await unlink(temp).catch(() => undefined);
    throw err;
  }
  if (state.fsync) await syncDirectory(state.directory);
}

/**
 * On Windows, rename fails with EPERM/EBUSY (or EACCES) while another process holds the target open
 * (checklist 5.2, session-file-store#41); it usually clears within milliseconds. Retries are bounded:
 * 4 retries, 10 + 20 + 40 + 80 ms at most, then the error is reported.
 */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = errorCode(err);
      const transient = code === 'EPERM' || code === 'EBUSY' || (code === 'EACCES' && process.platform === 'win32');
      if (!transient || attempt >= RENAME_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, RENAME_BACKOFF_MS * 2 ** attempt));
    }
  }
}

/** Makes the rename itself durable. Not possible on every platform (Windows cannot open directories). */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best-effort: the record is written and renamed; only its durability across a power cut is unknown
  }
}

// ---------------------------------------------------------------------------------------------------
// Metadata indexes: append-only text, `<key> <exp>` per entry and `<key> -` per tombstone.

async function addToIndexes(state: State, input: StorageSetInput, paths: readonly string[], expiresAt: number): Promise<void> {
  const { namespace, key, oldKey, now } = input;
  // The replaced session must not be listed (nor revoked): it only survives for in-flight requests.
  const lines = (oldKey !== undefined && oldKey !== key ? `${oldKey} -\n` : '') + `${key} ${String(expiresAt)}\n`;
  for (const path of paths) {
    await withLock(state, path, async () => {
      await appendLines(path, lines, true);
      // Indexes that are never listed would otherwise grow by a line or two per save, forever.
      if (state.random() < COMPACT_CHANCE) await refreshIndex(state, namespace, path, now);
    });
  }
}

/**
 * One `appendFile` per change: with O_APPEND each write lands whole at the end of the file, even with
 * writers in several processes, for small writes on a local file system (not NFS). Each append starts
 * with '\n' so that a line torn by a crash is ended, and dropped as malformed, instead of swallowing the
 * next entry; blank lines are ignored.
 */
async function appendLines(path: string, lines: string, create: boolean): Promise<void> {
  const flag = create ? 'a' : constants.O_WRONLY | constants.O_APPEND;
  try {
    await appendFile(path, `\n${lines}`, { flag, mode: 0o600 });
  } catch (err) {
    if (create || errorCode(err) !== 'ENOENT') throw err;
  }
}

/** What {@link refreshIndex} found: the live entries, and whether the index file was deleted (none live). */
interface RefreshedIndex {
  readonly live: Map<string, number>;
  readonly removed: boolean;
}

const INDEX_LINE = /^([A-Za-z0-9_-]{43}) (-|-?\d+(?:\.\d+)?(?:e[+-]\d+)?)$/;

/**
 * Reads an index: the last line per key wins, tombstones and expired entries are dropped, and so are keys
 * whose record is gone, expired or corrupt. Rewrites the index when dead lines outnumber live entries
 * twice (or deletes it when nothing is live). Must run under the index's lock.
 */
async function refreshIndex(state: State, namespace: string, path: string, now: number): Promise<RefreshedIndex> {
  const read = await readWithStats(path);
  if (read === null) return { live: new Map(), removed: false };
  const text = read.data.toString('latin1');
  const latest = new Map<string, number | null>();
  // The text after the last '\n' is a line still being written (or torn): not an entry yet.
  const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  lines.pop();
  for (const line of lines) {
    const match = INDEX_LINE.exec(line);
    if (match !== null) latest.set(match[1]!, match[2] === '-' ? null : Number(match[2]));
  }
  const live = new Map<string, number>();
  for (const [key, expiresAt] of latest) {
    if (expiresAt === null || !(now < expiresAt)) continue;
    if (await recordIsLive(recordPath(state, namespace, key), now)) live.set(key, expiresAt);
  }
  const dead = lines.length - live.size;
  if (live.size > 0 && !(dead > 2 * live.size && dead >= COMPACT_MIN_DEAD)) return { live, removed: false };
  const rewritten = await rewriteIndex(state, path, read.stats, live);
  return { live, removed: rewritten && live.size === 0 };
}

/** Whether a record file exists with a valid, unexpired header: reads only the header and the size. */
async function recordIsLive(path: string, now: number): Promise<boolean> {
  const read = await readWithStats(path, HEADER_MAX);
  if (read === null) return false;
  const header = parseHeader(read.data);
  return header !== null && read.stats.size - header.start === header.length && now < header.expiresAt;
}

/**
 * Replaces an index with its live entries (temp + rename), or deletes it when none is live. Our own
 * appends wait on the lock; an append from another process since the read changes the size or mtime, and
 * then the rewrite is skipped rather than lose that entry (a narrow race remains; see docs).
 */
async function rewriteIndex(state: State, path: string, read: Stats, live: Map<string, number>): Promise<boolean> {
  const unchanged = async (): Promise<boolean> => {
    const current = await stat(path).catch(() => null);
    return current !== null && current.ino === read.ino && current.size === read.size && current.mtimeMs === read.mtimeMs;
  };
  if (live.size === 0) {
    if (!(await unchanged())) return false;
    await unlink(path).catch(() => undefined);
    return true;
  }
  let text = '';
  for (const [key, expiresAt] of live) text += `${key} ${String(expiresAt)}\n`;
  if (!(await unchanged())) return false;
  await writeAtomic(state, path, Buffer.from(text, 'latin1'));
  return true;
}

/** Runs `fn` after every earlier `fn` of the same index in this process, whether they failed or not. */
function withLock<T>(state: State, path: string, fn: () => Promise<T>): Promise<T> {
  const previous = state.locks.get(path) ?? Promise.resolve();
  const run = previous.then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  state.locks.set(path, tail);
  // Forget finished chains so the map holds only indexes with work in flight.
  void tail.then(() => {
    if (state.locks.get(path) === tail) state.locks.delete(path);
  });
  return run;
}

// ---------------------------------------------------------------------------------------------------
// Sweep

function maybeSweep(state: State, now: number): void {
  if (state.sweepProbability === 0 || state.sweeping !== undefined || !(state.random() < state.sweepProbability)) return;
  // Not awaited by the set that started it: errors are swallowed, close() waits for it.
  state.sweeping = sweepDirectory(state, now).then(
    () => undefined,
    () => undefined,
  );
  void state.sweeping.then(() => {
    state.sweeping = undefined;
  });
}

/** Streams the directory (opendir, not readdir: constant memory) and removes what is dead. */
async function sweepDirectory(state: State, now: number): Promise<number> {
  let removed = 0;
  let dir;
  try {
    dir = await opendir(state.directory);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return 0;
    throw err;
  }
  for await (const entry of dir) {
    if (!entry.isFile()) continue;
    try {
      if (await sweepEntry(state, entry.name, now)) removed++;
    } catch {
      // best-effort: a file that vanished or cannot be read is someone else's business
    }
  }
  return removed;
}

/** Only this store's file names are considered, so a shared directory (e.g. /tmp) is left alone. */
async function sweepEntry(state: State, name: string, now: number): Promise<boolean> {
  const path = join(state.directory, name);
  const temp = TEMP.exec(name);
  if (temp !== null) {
    if (!state.recordPattern.test(temp[1]!) && !state.indexPattern.test(temp[1]!)) return false;
    const stats = await stat(path);
    if (!(stats.mtimeMs / 1000 < now - TEMP_MAX_AGE)) return false;
    await unlink(path);
    return true;
  }
  if (state.recordPattern.test(name)) {
    const read = await readWithStats(path, HEADER_MAX);
    if (read === null || !read.data.toString('latin1').startsWith(`${MAGIC} `)) return false; // not ours: keep
    const header = parseHeader(read.data);
    const intact = header !== null && read.stats.size - header.start === header.length;
    if (intact && now < header.expiresAt) return false;
    return removeIfUnchanged(path, read.stats);
  }
  if (state.indexPattern.test(name)) {
    const namespace = name.slice(state.prefix.length, name.indexOf('.', state.prefix.length));
    return (await withLock(state, path, () => refreshIndex(state, namespace, path, now))).removed;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Helpers (argument validation lives in ./validate.ts: everything is checked before any I/O)

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
