/**
 * Flash values (Rails, connect-flash, React Router): a value set now for the next request to read once,
 * typically a message shown after a redirect.
 *
 * They live under the reserved attribute `@flash`, one JSON object of pending values by key. What a
 * request can read is what was pending when it opened the session: a value flashed by this request is
 * readable from the next one on, so a message flashed before a redirect is shown on the page redirected
 * to, not on the response that redirects. Reading a value removes it (the session is then modified, and
 * its commit saves); an unread value stays pending, so a chain of redirects keeps it.
 *
 * @module
 */
import type { JsonValue } from '../json.ts';
import { assertJsonValue } from '../json.ts';
import { defineData } from './data.ts';

/** Reserved attribute holding the pending flash values. */
export const FLASH_KEY = '@flash';

/** The flash values of one session for one request. Created on first use. */
export class FlashValues {
  /** What this request may read: the values pending when the session was opened, minus those read. */
  readonly #readable: Record<string, JsonValue>;
  /** Keys this request flashed: their pending value is the new one, which reading the old one keeps. */
  readonly #flashed = new Set<string>();

  /** @param data - the session entry's attributes, as opened */
  constructor(data: Record<string, unknown>) {
    this.#readable = {};
    const pending = pendingOf(data);
    if (pending !== undefined) for (const [key, value] of Object.entries(pending)) defineData(this.#readable, key, value);
  }

  /**
   * Adds a value for the next request.
   * @param data - the attributes to write `@flash` into
   * @param key - the flash key, e.g. `'notice'`
   * @param value - a value that survives JSON (replaces one flashed earlier under the same key)
   * @throws TypeError when the key is not a non-empty string or the value would not survive JSON
   */
  set(data: Record<string, unknown>, key: string, value: JsonValue): void {
    if (typeof key !== 'string' || key === '') throw new TypeError('flash key expected a non-empty string');
    assertJsonValue(`${FLASH_KEY}.${key}`, value);
    const pending = pendingOf(data) ?? {};
    defineData(pending, key, value);
    defineData(data, FLASH_KEY, pending);
    this.#flashed.add(key);
  }

  /**
   * Reads a value flashed by an earlier request and removes it.
   * @param data - the attributes holding `@flash`
   * @param key - the flash key
   * @returns the value, or `undefined`; `changed` when the pending values changed (the session must save)
   */
  take(data: Record<string, unknown>, key: string): { readonly value: JsonValue | undefined; readonly changed: boolean } {
    if (!Object.hasOwn(this.#readable, key)) return { value: undefined, changed: false };
    const value = this.#readable[key]!;
    delete this.#readable[key];
    if (this.#flashed.has(key)) return { value, changed: false };
    const pending = pendingOf(data);
    if (pending === undefined || !Object.hasOwn(pending, key)) return { value, changed: false };
    delete pending[key];
    if (Object.keys(pending).length === 0) delete data[FLASH_KEY];
    return { value, changed: true };
  }

  /**
   * Reads and removes every value flashed by earlier requests.
   * @param data - the attributes holding `@flash`
   * @returns the values by key, and whether the pending values changed
   */
  takeAll(data: Record<string, unknown>): { readonly values: Record<string, JsonValue>; readonly changed: boolean } {
    const values: Record<string, JsonValue> = {};
    let changed = false;
    for (const key of Object.keys(this.#readable)) {
      const taken = this.take(data, key);
      defineData(values, key, taken.value);
      changed ||= taken.changed;
    }
    return { values, changed };
  }
}

/** The pending flash object of the attributes, when it is one. */
function pendingOf(data: Record<string, unknown>): Record<string, JsonValue> | undefined {
  const pending = Object.hasOwn(data, FLASH_KEY) ? data[FLASH_KEY] : undefined;
  return typeof pending === 'object' && pending !== null && !Array.isArray(pending) ? (pending as Record<string, JsonValue>) : undefined;
}
