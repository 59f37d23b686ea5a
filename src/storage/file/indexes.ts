/**
 * The file store's metadata indexes, one per audience + subject: append-only text, `<key> <exp>` per
 * entry and `<key> -` per tombstone. Reading one drops dead lines and rewrites it (compaction) when they
 * outnumber the live ones; within one process, appends and rewrites of an index are serialised.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { appendFile, constants, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { StorageSetInput } from '../types.ts';
import { readWithStats, writeAtomic } from './atomic.ts';
import { recordPath } from './paths.ts';
import { recordIsLive } from './records.ts';
import { errorCode, type State } from './state.ts';

/** A set with metadata reads its indexes for compaction with this chance, bounding their growth. */
const COMPACT_CHANCE = 1 / 16;
/** Below this many dead lines an index is not worth rewriting. */
const COMPACT_MIN_DEAD = 16;

const INDEX_LINE = /^([A-Za-z0-9_-]{43}) (-|-?\d+(?:\.\d+)?(?:e[+-]\d+)?)$/;

/** What {@link readIndex} found: the live entries, and whether the index file was deleted (none live). */
export interface RefreshedIndex {
  readonly live: Map<string, number>;
  readonly removed: boolean;
}

/**
 * Lists a saved record in its indexes (after the record is written: an index entry whose record does not
 * exist yet would be dropped as dead), with a tombstone for the record it replaces.
 * @param state - the store
 * @param input - the validated argument of `set`
 * @param paths - the record's index paths
 * @param expiresAt - the record's expiry, Unix seconds
 * @returns when every index has its lines
 * @throws the file system's error when an index cannot be appended to
 * @example
 * await addToIndexes(state, input, paths.indexes, now + ttl);
 */
export async function addToIndexes(state: State, input: StorageSetInput, paths: readonly string[], expiresAt: number): Promise<void> {
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
 * Appends a tombstone for a deleted record, only to indexes that exist (no O_CREAT): deleting never
 * creates files.
 * @param state - the store
 * @param key - the deleted record's key
 * @param paths - the record's index paths
 * @returns when every existing index has its tombstone
 * @throws the file system's error for anything but a missing index
 * @example
 * await removeFromIndexes(state, key, indexes);
 */
export async function removeFromIndexes(state: State, key: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    await withLock(state, path, () => appendLines(path, `${key} -\n`, false));
  }
}

/**
 * Reads an index under its lock: the last line per key wins, tombstones and expired entries are dropped,
 * and so are keys whose record is gone, expired or corrupt. Rewrites the index when dead lines outnumber
 * live entries twice (or deletes it when nothing is live).
 * @param state - the store
 * @param namespace - the namespace of the index's records
 * @param path - the index's path
 * @param now - the current time, Unix seconds
 * @returns the live entries (storage key -> expiry) and whether the index file was deleted
 * @throws the file system's error when the index cannot be read or rewritten
 * @example
 * const { live } = await readIndex(state, 'session', indexPath(state, 'session', audience, subject), now);
 */
export function readIndex(state: State, namespace: string, path: string, now: number): Promise<RefreshedIndex> {
  return withLock(state, path, () => refreshIndex(state, namespace, path, now));
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

/** {@link readIndex} without the lock: its callers hold it. */
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
