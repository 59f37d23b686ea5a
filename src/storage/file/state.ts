/**
 * What one file store shares between its modules: its {@link State}, and the guard every operation runs
 * under ({@link io}: the directory exists, a vanished directory is re-created, errors are typed and never
 * carry a path).
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { SessionError } from '../../errors.ts';

/** The store's `name`, also in its errors' `storage`. */
export const NAME = 'file';

/** The state of one file store, created once from its options by `fileStorage`. */
export interface State {
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

/**
 * Rejects calls on a closed store.
 * @param state - the store
 * @throws SessionError `STORAGE_ERROR` when the store is closed
 * @example
 * ensureOpen(state);
 */
export function ensureOpen(state: State): void {
  if (state.closed) throw new SessionError('STORAGE_ERROR', 'file storage is closed', { storage: NAME });
}

/**
 * Creates the directory once (0700: session records are bearer secrets), then runs `fn`, typing errors.
 * If the directory vanished since (a tmp cleaner, an operator), ENOENT re-creates it and retries once.
 * @param state - the store
 * @param what - the operation, for the message: `file storage failed to ${what}`
 * @param fn - the file system work
 * @returns what `fn` returns
 * @throws SessionError `STORAGE_ERROR` with the cause stripped of any path, when the work fails
 * @example
 * const value = await io(state, 'read a record', () => getRecord(path, now));
 */
export async function io<T>(state: State, what: string, fn: () => Promise<T>): Promise<T> {
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

/**
 * The `code` of a Node system error (`'ENOENT'`, `'EPERM'`, ...).
 * @param err - anything thrown
 * @returns the code, or `undefined` when there is none
 * @example
 * if (errorCode(err) !== 'ENOENT') throw err;
 */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
