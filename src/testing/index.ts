/**
 * `httpsession/testing`: what unit tests of session logic need, with no server and no waiting.
 *
 * @example
 * import { fixedClock, sequenceRandom } from 'httpsession/testing';
 * const clock = fixedClock(1_700_000_000);
 * const sessions = createSessionManager({ secret, now: clock.now, randomBytes: sequenceRandom() });
 * clock.advance(901); // the idle timeout has now passed
 *
 * @module
 */

/** A clock that only moves when told to. */
export interface FixedClock {
  /** The current time in Unix seconds: pass this as the `now` option. */
  readonly now: () => number;
  /** Moves the clock forward (or back, with a negative number) by `seconds`. */
  advance(seconds: number): void;
  /** Sets the clock to `seconds` (Unix time). */
  set(seconds: number): void;
}

/**
 * Creates a clock pinned at `start`.
 * @param start - Unix seconds; default 1 700 000 000 (2023-11-14T22:13:20Z)
 * @returns the clock
 * @example const clock = fixedClock(); clock.advance(60); clock.now() // 1700000060
 */
export function fixedClock(start = 1_700_000_000): FixedClock {
  if (!Number.isFinite(start)) throw new RangeError(`"start" expected a finite number of seconds, got ${start}`);
  let t = start;
  return {
    now: () => t,
    advance(seconds) {
      t += seconds;
    },
    set(seconds) {
      t = seconds;
    },
  };
}

/**
 * A deterministic random source for tests: byte strings derived from a counter, all distinct.
 * Never use it outside tests: the output is predictable.
 * @param seed - distinguishes sequences
 * @returns a `randomBytes` function
 */
export function sequenceRandom(seed = 1): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    counter++;
    const out = new Uint8Array(length);
    let x = (seed * 0x9e3779b1 + counter * 0x85ebca6b) >>> 0;
    for (let i = 0; i < length; i++) {
      // xorshift32: cheap, deterministic, and different for every (seed, counter)
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

export { storageConformance, type ConformanceCase, type ConformanceOptions } from './storage-conformance.ts';
