/**
 * The file store's sweep: deletes expired and corrupt records, indexes with no live entry and temp files
 * left by a crash, which lazy expiry never frees when nobody reads them again. Runs on demand
 * (`FileStorage.sweep`) or, with lua-resty-session's p = 1/2000 per `set`, in the background.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { opendir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readIndex } from './indexes.ts';
import { indexNamespace, tempTarget } from './paths.ts';
import { removeDeadRecord } from './records.ts';
import { errorCode, type State } from './state.ts';

/** Temp files younger than this may belong to a write in progress, in this or another process. */
const TEMP_MAX_AGE = 3600;

/**
 * Starts a background sweep with the store's `sweepProbability`, unless one is running. Not awaited by
 * the `set` that started it: its errors are swallowed, and `close()` waits for it.
 * @param state - the store
 * @param now - the current time, Unix seconds
 * @example
 * maybeSweep(state, input.now);
 */
export function maybeSweep(state: State, now: number): void {
  if (state.sweepProbability === 0 || state.sweeping !== undefined || !(state.random() < state.sweepProbability)) return;
  state.sweeping = sweepDirectory(state, now).then(
    () => undefined,
    () => undefined,
  );
  void state.sweeping.then(() => {
    state.sweeping = undefined;
  });
}

/**
 * Streams the directory (opendir, not readdir: constant memory) and removes what is dead. Best-effort: a
 * file that cannot be removed is skipped.
 * @param state - the store
 * @param now - the current time, Unix seconds (also the reference for the temp files' age)
 * @returns how many files were removed
 * @throws the file system's error when the directory exists but cannot be read
 * @example
 * const removed = await sweepDirectory(state, now);
 */
export async function sweepDirectory(state: State, now: number): Promise<number> {
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
  const target = tempTarget(name);
  if (target !== null) {
    if (!state.recordPattern.test(target) && !state.indexPattern.test(target)) return false;
    const stats = await stat(path);
    if (!(stats.mtimeMs / 1000 < now - TEMP_MAX_AGE)) return false;
    await unlink(path);
    return true;
  }
  if (state.recordPattern.test(name)) return removeDeadRecord(path, now);
  if (state.indexPattern.test(name)) return (await readIndex(state, indexNamespace(state, name), path, now)).removed;
  return false;
}
