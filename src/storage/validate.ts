/**
 * Argument validation shared by the bundled stores (memory, file, redis). Everything a store reads is
 * checked before any change or I/O, with a `TypeError` (or `RangeError` for out-of-range numbers) naming
 * the argument, so a bad call leaves no trace. Messages describe text without echoing it: keys and
 * subjects must never reach a log line.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import type { StorageMetadata, StorageSetInput } from './types.ts';
import { STORAGE_KEY } from './types.ts';

/**
 * Namespaces, audiences and subjects are base64url or cookie names: no ':' that could forge a Redis key
 * or memory name, and no '.', '/', '\\' or NUL that could change a file path.
 */
const NAME_PART = /^[A-Za-z0-9_-]+$/;

/** Limits of {@link checkSetInput} beyond the shared rules. */
export interface SetInputLimits {
  /** The longest namespace accepted, in characters; default unlimited. */
  readonly maxNamespace?: number | undefined;
}

/**
 * Validates everything `Storage.set` reads, before it changes anything or sends any command.
 * @param input - the argument of `set`, as received (untrusted at run time)
 * @param limits - `maxNamespace`, the longest namespace accepted (default unlimited)
 * @throws TypeError when `input` is not an object, or a name, key, value, time or metadata is malformed
 * @throws RangeError when `ttl` is not a positive finite number or `staleTtl` not a non-negative one
 * @example
 * checkSetInput(input, { maxNamespace: 64 });
 */
export function checkSetInput(input: StorageSetInput, limits: SetInputLimits = {}): void {
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`"input" expected an object, got ${describeType(input)}`);
  }
  checkNamespace(input.namespace, limits.maxNamespace);
  checkKey(input.key, 'key');
  if (typeof input.value !== 'string') {
    throw new TypeError(`"value" expected a string, got ${describeType(input.value)}`);
  }
  checkTime(input.now, 'now');
  if (typeof input.ttl !== 'number' || !(input.ttl > 0) || !Number.isFinite(input.ttl)) {
    throw new RangeError(`"ttl" expected a positive number of seconds, got ${String(input.ttl)}`);
  }
  if (input.oldKey !== undefined) checkKey(input.oldKey, 'oldKey');
  const { staleTtl } = input;
  if (staleTtl !== undefined && (typeof staleTtl !== 'number' || !(staleTtl >= 0) || !Number.isFinite(staleTtl))) {
    throw new RangeError(`"staleTtl" expected a non-negative number of seconds, got ${String(staleTtl)}`);
  }
  if (input.metadata !== undefined) checkMetadata(input.metadata);
  if (input.successor !== undefined) {
    if (typeof input.successor !== 'string' || !SUCCESSOR_TOKEN.test(input.successor)) {
      throw new TypeError(`"successor" expected base64url text of at most 512 characters, got ${describeType(input.successor)}`);
    }
    if (input.oldKey === undefined || input.oldKey === input.key) throw new TypeError('"successor" expected an "oldKey" other than "key"');
  }
  if (input.exclusive !== undefined && typeof input.exclusive !== 'boolean') {
    throw new TypeError(`"exclusive" expected a boolean, got ${describeType(input.exclusive)}`);
  }
  if (input.exclusive === true && input.successor === undefined) throw new TypeError('"exclusive" expected a "successor" to claim the old record with');
}

/**
 * A successor list with one more token, keeping the newest {@link MAX_SUCCESSORS}: a record replaced
 * that many times within its stale window (last-write-wins saves racing from one old cookie) forgets
 * the oldest.
 */
export function appendSuccessor(list: string | undefined, token: string): string {
  if (list === undefined || list === '') return token;
  const tokens = list.split(' ');
  tokens.push(token);
  return tokens.slice(-MAX_SUCCESSORS).join(' ');
}

/** The most successor tokens a record keeps. */
export const MAX_SUCCESSORS = 16;

/**
 * The longest successor list a store that keeps it as text holds (the newest end is kept): room for
 * {@link MAX_SUCCESSORS} sealed tokens of 184 characters and their separators. Key tokens (43 characters,
 * last-write-wins) are shorter, so more of them fit; a cut may leave the oldest token partial, and a
 * partial token is ignored like any token that does not open.
 */
export const MAX_SUCCESSORS_TEXT = MAX_SUCCESSORS * 185 - 1;

/** A successor token: base64url, bounded (a sealed 110-character header is 200 characters). */
export const SUCCESSOR_TOKEN = /^[A-Za-z0-9_-]{1,512}$/;

/**
 * Splits a stored successor list (tokens joined by single spaces, oldest first) into its tokens.
 * @param list - the stored text, or `null`/`undefined`/`''` for none
 */
export function successorList(list: string | null | undefined): string[] {
  return list === null || list === undefined || list === '' ? [] : list.split(' ');
}

/**
 * Validates index metadata: an object holding equally long arrays of audiences and subjects, each a name part.
 * @param metadata - the `metadata` of `set` or `delete`, as received
 * @throws TypeError when it is not an object, the arrays are missing or differ in length, or an entry is malformed
 * @example
 * checkMetadata({ audiences: ['c2hvcA'], subjects: ['YWxpY2U'] });
 */
export function checkMetadata(metadata: StorageMetadata): void {
  if (typeof metadata !== 'object' || metadata === null) {
    throw new TypeError(`"metadata" expected an object, got ${describeType(metadata)}`);
  }
  const { audiences, subjects } = metadata;
  if (!Array.isArray(audiences) || !Array.isArray(subjects) || audiences.length !== subjects.length) {
    throw new TypeError('"metadata" expected arrays of audiences and subjects of equal length');
  }
  for (const audience of audiences) checkNamePart(audience, 'metadata.audiences');
  for (const subject of subjects) checkNamePart(subject, 'metadata.subjects');
}

/**
 * Validates a storage key: exactly 43 base64url characters ({@link STORAGE_KEY}), so no ':', '*', '/',
 * '\\', '.', NUL or newline ever reaches a Redis key or a file path. Anything else is a caller bug.
 * @param key - the key, as received
 * @param option - the argument name used in the message, e.g. `'key'` or `'oldKey'`
 * @throws TypeError when `key` is not such a string
 * @example
 * checkKey(key, 'oldKey');
 */
export function checkKey(key: unknown, option: string): void {
  if (typeof key !== 'string' || !STORAGE_KEY.test(key)) {
    throw new TypeError(`"${option}" expected 43 base64url characters, got ${describeText(key)}`);
  }
}

/**
 * Validates a namespace (the cookie name a record belongs to): a name part, named `"namespace"` in errors.
 * @param namespace - the namespace, as received
 * @param max - the longest accepted, in characters; default unlimited
 * @throws TypeError when `namespace` is not a non-empty `[A-Za-z0-9_-]` string of at most `max` characters
 * @example
 * checkNamespace('session');
 */
export function checkNamespace(namespace: unknown, max?: number): void {
  checkNamePart(namespace, 'namespace', max);
}

/**
 * Validates one part of a record or index name (namespace, audience, subject): a non-empty
 * `[A-Za-z0-9_-]` string, optionally of bounded length.
 * @param part - the part, as received
 * @param option - the argument name used in the message, e.g. `'audience'`
 * @param max - the longest accepted, in characters; default unlimited (and then not mentioned in the message)
 * @throws TypeError when `part` is not such a string
 * @example
 * checkNamePart(subject, 'subject');
 */
export function checkNamePart(part: unknown, option: string, max = Infinity): void {
  if (typeof part !== 'string' || !NAME_PART.test(part) || part.length > max) {
    const limit = max === Infinity ? '' : ` of at most ${max}`;
    throw new TypeError(`"${option}" expected a non-empty string${limit} of [A-Za-z0-9_-], got ${describeText(part)}`);
  }
}

/**
 * Validates a time given to a store: a finite number of Unix seconds.
 * @param value - the time, as received
 * @param option - the argument name used in the message, e.g. `'now'`
 * @throws TypeError when `value` is not a finite number
 * @example
 * checkTime(now, 'now');
 */
export function checkTime(value: unknown, option: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`"${option}" expected a finite number of Unix seconds, got ${describeType(value)}`);
  }
}

/** Describes text without echoing it: keys and subjects must never reach a log line. */
function describeText(value: unknown): string {
  if (typeof value !== 'string') return describeType(value);
  const outside = /[^A-Za-z0-9_-]/.test(value) ? ' with characters outside [A-Za-z0-9_-]' : '';
  return `a string of ${value.length} characters${outside}`;
}

/**
 * Describes a value for an error message by its type: `'null'`, a number as itself, otherwise `typeof`.
 * Never echoes a string's content.
 * @param value - any value
 * @returns e.g. `'null'`, `'-1'`, `'string'`, `'undefined'`
 * @example
 * throw new TypeError(`"options" expected an object, got ${describeType(options)}`);
 */
export function describeType(value: unknown): string {
  return value === null ? 'null' : typeof value === 'number' ? String(value) : typeof value;
}

/**
 * Validates the `options` argument of a store factory: a non-null object.
 * @param options - the argument, as received
 * @throws TypeError when it is not an object
 * @example
 * checkOptionsObject(options);
 */
export function checkOptionsObject(options: unknown): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`"options" expected an object, got ${describeType(options)}`);
  }
}

/**
 * Validates a store's `timeout` option: a non-negative integer of milliseconds (`0` turns the deadline off).
 * @param timeout - the option, as received (`undefined` takes `fallback`)
 * @param fallback - the default
 * @returns the timeout in milliseconds
 * @throws TypeError when it is not a number
 * @throws RangeError when it is negative or not an integer
 * @example
 * const ms = checkTimeoutOption(options.timeout, 5000);
 */
export function checkTimeoutOption(timeout: unknown, fallback: number): number {
  if (timeout === undefined) return fallback;
  if (typeof timeout !== 'number') throw new TypeError(`"timeout" expected a number of milliseconds, got ${describeType(timeout)}`);
  if (!Number.isSafeInteger(timeout) || timeout < 0) {
    throw new RangeError(`"timeout" expected a non-negative integer of milliseconds, got ${timeout}`);
  }
  return timeout;
}

/**
 * Validates a boolean option.
 * @param value - the option, as received (`undefined` takes `fallback`)
 * @param option - its name, for the message
 * @param fallback - the default
 * @returns the value
 * @throws TypeError when it is not a boolean
 * @example
 * const closeClient = checkBooleanOption(options.closeClient, 'closeClient', false);
 */
export function checkBooleanOption(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`"${option}" expected a boolean, got ${describeType(value)}`);
  return value;
}

/**
 * Validates the arguments of `get` and `delete`: a namespace, a storage key and a time.
 * @param namespace - the namespace, as received
 * @param key - the storage key, as received
 * @param now - the time, as received
 * @throws TypeError when one is malformed
 * @example
 * checkRecordArgs('session', key, now);
 */
export function checkRecordArgs(namespace: unknown, key: unknown, now: unknown): void {
  checkNamespace(namespace);
  checkKey(key, 'key');
  checkTime(now, 'now');
}

/**
 * Validates the arguments of `readMetadata`: a namespace, an audience, a subject and a time.
 * @param namespace - the namespace, as received
 * @param audience - the audience, as received
 * @param subject - the subject, as received
 * @param now - the time, as received
 * @throws TypeError when one is malformed
 * @example
 * checkMetadataArgs('session', audience, subject, now);
 */
export function checkMetadataArgs(namespace: unknown, audience: unknown, subject: unknown, now: unknown): void {
  checkNamespace(namespace);
  checkNamePart(audience, 'audience');
  checkNamePart(subject, 'subject');
  checkTime(now, 'now');
}
