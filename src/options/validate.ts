/**
 * The small checkers every option goes through. Each throws a native `TypeError` or `RangeError` whose
 * message names the option and says what was expected and what was got, in one shape:
 * `"secret" expected a non-empty string, got a string of length 0`. A value is only ever described by
 * its type and size, so a secret passed in the wrong place never reaches a message or a log.
 *
 * @module
 */
import type { SessionOptions } from '../options.ts';

/** The largest number of seconds an option takes unless it says otherwise: 2^32 - 1, the header's rolling offset (spec 1.1). */
export const MAX_TIMEOUT = 2 ** 32 - 1;

/**
 * Describes a value for an error message by its type and size, never its content.
 * @param value - any value an option was given
 * @returns e.g. `'a string of length 12'`, `'16 bytes'`, `'null'`, `'number'`
 * @example describe('hunter2') // 'a string of length 7'
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return value === null ? 'null' : typeof value;
}

/**
 * Reads a whole number of seconds, or its default when the option is not set.
 * @param options - the user's options
 * @param name - the option to read
 * @param fallback - its default
 * @param max - the largest value allowed
 * @returns an integer from 0 to `max`
 * @throws RangeError when the value is not an integer in that range
 * @example seconds(options, 'staleTtl', 10)
 */
export function seconds(options: SessionOptions, name: keyof SessionOptions, fallback: number, max = MAX_TIMEOUT): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`"${name}" expected an integer from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Reads an array option, or an empty one when it is not set. Its items are checked by the caller, which
 * knows what they should be.
 * @param options - the user's options
 * @param name - the option to read
 * @returns the array, unchecked items and all
 * @throws TypeError when the value is not an array
 */
export function list<T>(options: SessionOptions, name: 'ikmFallbacks' | 'secretFallbacks' | 'bind' | 'requestHeaders' | 'responseHeaders'): readonly T[] {
  const value: unknown = options[name] ?? [];
  if (!Array.isArray(value)) throw new TypeError(`"${name}" expected an array, got ${describe(value)}`);
  return value as T[];
}

/**
 * Reads a boolean option, or its default when it is not set.
 * @param options - the object holding the option (the options, or a nested object such as `cookie`)
 * @param name - the option to read
 * @param fallback - its default
 * @param owner - how the message names the nested object, e.g. `'cookie.'`
 * @returns the boolean
 * @throws TypeError when the value is not a boolean
 * @example flag(cookieOptions, 'httpOnly', true, 'cookie.')
 */
export function flag(options: object, name: string, fallback: boolean, owner = ''): boolean {
  const value = (options as Record<string, unknown>)[name] ?? fallback;
  if (typeof value !== 'boolean') throw new TypeError(`"${owner}${name}" expected a boolean, got ${describe(value)}`);
  return value;
}

/**
 * Checks that a value is one of a few allowed strings.
 * @param value - what the option was given
 * @param allowed - the strings it may be
 * @param name - the option, as the message names it
 * @returns the value, narrowed
 * @throws TypeError when the value is not one of `allowed`
 * @example oneOf(cookie.sameSite ?? 'Lax', ['Lax', 'Strict', 'None', 'Default'], 'cookie.sameSite')
 */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`"${name}" expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
