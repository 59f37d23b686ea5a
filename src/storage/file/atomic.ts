/**
 * The file operations the store builds on, each safe against other writers in this or another process:
 * replacing a file atomically (unique temp file + rename, with retries on Windows' transient EPERM/EBUSY),
 * reading a file together with the identity of what was read, and deleting a file only if it is still
 * that one (checklist 5.2, cases 40-42).
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { tempPathFor } from './paths.ts';
import { errorCode, type State } from './state.ts';

/** Rename retries on EPERM/EBUSY (Windows: another handle open) and their first backoff, doubling. */
const RENAME_RETRIES = 4;
const RENAME_BACKOFF_MS = 10;

/**
 * Writes `data` to a unique temp file in the same directory, then renames it over `path`: rename is
 * atomic within a file system, so readers and concurrent writers see one complete version or another.
 * The temp file is removed on any failure (checklist case 42: no partial file left behind).
 * @param state - the store (its `fsync` option and directory)
 * @param path - the file to replace or create
 * @param data - its whole new content
 * @returns when `path` holds `data` (and, with `fsync`, is on disk)
 * @throws the file system's error when the temp file cannot be written or renamed
 * @example
 * await writeAtomic(state, path, Buffer.from(text, 'latin1'));
 */
export async function writeAtomic(state: State, path: string, data: Buffer): Promise<void> {
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

/** A file's content (or its first bytes) and the stats of the very file it was read from. */
export interface ReadWithStats {
  readonly data: Buffer;
  readonly stats: Stats;
}

/**
 * Reads a file with the identity (dev, ino, mtime) of what was read, both from one open handle.
 * @param path - the file
 * @param limit - read at most this many bytes from the start; default the whole file
 * @returns the content and stats, or `null` when the file does not exist
 * @throws the file system's error for anything but ENOENT
 * @example
 * const read = await readWithStats(path, 96);
 */
export async function readWithStats(path: string, limit?: number): Promise<ReadWithStats | null> {
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
 * @param path - the file
 * @param read - the stats returned with the content by {@link readWithStats}
 * @returns whether the file was removed
 * @example
 * if (expired) await removeIfUnchanged(path, read.stats);
 */
export async function removeIfUnchanged(path: string, read: Stats): Promise<boolean> {
  try {
    const current = await stat(path);
    if (current.ino !== read.ino || current.dev !== read.dev || current.mtimeMs !== read.mtimeMs) return false;
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}
