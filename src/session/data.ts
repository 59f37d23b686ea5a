/**
 * The attribute object of a session entry: which names are the application's, and how values are put in
 * it safely.
 *
 * @module
 */

/** Reserved attribute holding the per-session remember-me choice. */
export const REMEMBER_KEY = '@remember';

/**
 * Checks an attribute name given by the application.
 * @param name - the attribute name
 * @throws TypeError when it is not a non-empty string, or starts with `@` (reserved)
 */
export function assertName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('session attribute name expected a non-empty string');
  if (name.startsWith('@')) throw new TypeError(`session attribute "${name}": names starting with "@" are reserved`);
}

/**
 * Sets an own data property even for names like `__proto__`, without invoking setters (checklist case 18).
 * @param target - the attribute object
 * @param name - the attribute name
 * @param value - the value to store
 */
export function defineData(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
}
