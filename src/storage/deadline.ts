/**
 * Per-call deadlines for a store whose client may never answer (the Redis store's `timeout`).
 *
 * The obvious version (an `AbortController`, a timer and a `Promise.race` per call) cost about 3 µs of
 * CPU per call, measured with a client that answers at once: several times the store's own work (0.4 µs
 * for a `get`). All calls of one store share the same length of deadline, so their deadlines fall in the
 * order the calls start: one queue, oldest first, and one timer for the oldest unsettled call are enough.
 * Per call this costs one small object and one promise; a call that settles leaves the queue as soon as
 * every older call has settled too, so under load the queue holds about as many calls as are in flight.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { SessionError } from '../errors.ts';

/** What a body can ask about its own call: past the deadline, it must send nothing more. */
export interface Deadline {
  /** True once the call has rejected for its deadline. */
  readonly expired: boolean;
}

/** Runs `body` under the store's deadline; rejects with a `TimeoutError` when the deadline passes first. */
export type WithDeadline = <T>(body: (deadline: Deadline) => Promise<T>) => Promise<T>;

/** A call in the queue. */
interface Pending {
  /** `performance.now()` at which the call times out. */
  readonly at: number;
  expired: boolean;
  settled: boolean;
  readonly reject: (reason: unknown) => void;
}

/** The deadline of a store without one (`timeout: 0`). */
const NEVER: Deadline = Object.freeze({ expired: false });

/**
 * Creates the deadline runner of one store.
 * @param ms - the deadline of every call, in milliseconds; `0` for none
 * @param name - who does not answer, for the timeout message (e.g. `'redis'`)
 * @returns a function running one call under the deadline
 * @example
 * const withDeadline = deadlines(5000, 'redis');
 * await withDeadline(async (deadline) => {
 *   await send(['SET', key, value]);
 *   if (deadline.expired) return; // the caller was told this call failed: send nothing more
 *   await send(['EXPIRE', oldKey, '10']);
 * });
 */
export function deadlines(ms: number, name: string): WithDeadline {
  if (ms === 0) return (body) => body(NEVER);
  const queue: Array<Pending | undefined> = [];
  let head = 0;
  /** Calls started and not settled: while there are none, the timer does not keep the process alive. */
  let active = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const arm = (delay: number): void => {
    timer = setTimeout(expire, delay);
    if (active === 0) timer.unref();
  };
  /** Drops settled calls from the front, so the queue holds only what may still time out. */
  const trim = (): void => {
    while (head < queue.length && queue[head]!.settled) queue[head++] = undefined;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head >= 1024 && head * 2 >= queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };
  const settle = (call: Pending): void => {
    call.settled = true;
    if (--active === 0) timer?.unref();
    trim();
  };
  // Rejects every call past its deadline, oldest first, then waits for the next one. A Node timer may
  // fire a fraction of a millisecond before performance.now() reaches `at`: that call waits one more turn.
  function expire(): void {
    timer = undefined;
    const now = performance.now();
    for (let call = queue[head]; call !== undefined && call.at <= now; call = queue[head]) {
      call.expired = true;
      settle(call);
      const err = new Error(`${name} did not answer within ${ms} ms`);
      err.name = 'TimeoutError';
      call.reject(err);
    }
    const next = queue[head];
    if (next !== undefined) arm(Math.max(1, Math.ceil(next.at - now)));
  }

  return <T>(body: (deadline: Deadline) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const call: Pending = { at: performance.now() + ms, expired: false, settled: false, reject };
      queue.push(call);
      active++;
      if (timer === undefined) arm(ms);
      else if (active === 1) timer.ref();
      let result: Promise<T>;
      try {
        result = body(call);
      } catch (err) {
        result = Promise.reject(err);
      }
      // Both outcomes are always observed, so a body abandoned at its deadline never rejects unhandled.
      result.then(
        (value) => {
          if (call.settled) return;
          settle(call);
          resolve(value);
        },
        (err: unknown) => {
          if (call.settled) return;
          settle(call);
          reject(err);
        },
      );
    });
}

/** Runs one operation of a store: its I/O under the store's deadline, any failure a `STORAGE_ERROR`. */
export type StorageIo = <T>(op: string, body: (deadline: Deadline) => Promise<T>) => Promise<T>;

/**
 * Creates the I/O runner of one store: every call under the store's {@link deadlines}, and any failure
 * (the client's error, or the deadline's `TimeoutError`) rejected as a `SessionError` of code
 * `'STORAGE_ERROR'` naming the store, with the failure as `cause` (a `STORAGE_ERROR` the store raised
 * itself is kept as it is). Only I/O goes through it: argument errors stay `TypeError`/`RangeError`.
 * @param name - the store's name, e.g. `'postgres'`
 * @param ms - the deadline of every call, in milliseconds; `0` for none
 * @returns a function running one operation; `op` completes the message "<name> storage failed to <op>"
 * @example
 * const io = storageIo('postgres', 5000);
 * const rows = await io('read a session', () => query(GET, [key]));
 */
export function storageIo(name: string, ms: number): StorageIo {
  const withDeadline = deadlines(ms, name);
  return async (op, body) => {
    try {
      return await withDeadline(body);
    } catch (cause) {
      // A store's own STORAGE_ERROR (one that says more than "failed") passes through as it is.
      if (cause instanceof SessionError && cause.code === 'STORAGE_ERROR') throw cause;
      throw new SessionError('STORAGE_ERROR', `${name} storage failed to ${op}`, { storage: name, cause });
    }
  };
}
