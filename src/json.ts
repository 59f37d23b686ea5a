/**
 * Session values must survive the JSON round trip through the cookie or the store. This check refuses,
 * at `set` time and naming the attribute, what would silently change on the way: functions, symbols,
 * bigints, `undefined` inside objects, non-finite numbers, cyclic structures, and objects that are not
 * plain (Date, Map, Set, class instances).
 *
 * @module
 */

/** A value that survives `JSON.parse(JSON.stringify(value))` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 512;

/**
 * Throws a `TypeError` naming `key` and the path inside it when `value` would not survive JSON.
 * @param key - the attribute name, for the message
 * @param value - the value to check
 */
export function assertJsonValue(key: string, value: unknown): void {
  const problem = check(value, new Set(), 0);
  if (problem !== undefined) {
    const where = problem.path === '' ? '' : ` at ${problem.path}`;
    throw new TypeError(`session attribute "${key}"${where}: ${problem.message}`);
  }
}

function check(value: unknown, ancestors: Set<object>, depth: number): { path: string; message: string } | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      if (Object.is(value, -0)) return { path: '', message: '-0 would become 0' };
      return Number.isFinite(value) ? undefined : { path: '', message: `${value} is not a finite number and would become null` };
    case 'object':
      break;
    default:
      return { path: '', message: `a ${typeof value} cannot be stored in a session (it does not survive JSON)` };
  }
  if (value === null) return undefined;
  if (depth > MAX_DEPTH) return { path: '', message: `nested deeper than ${MAX_DEPTH} levels` };
  if (ancestors.has(value)) return { path: '', message: 'a cyclic structure cannot be stored in a session' };
  const isArray = Array.isArray(value);
  if (!isArray) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      const hint = value instanceof Date ? '; store date.toISOString() or date.getTime() instead' : '';
      return { path: '', message: `a ${name} does not survive JSON${hint}` };
    }
  }
  ancestors.add(value);
  try {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined && !isArray) return { path: `.${k}`, message: 'undefined would be dropped by JSON' };
      if (v === undefined) return { path: `[${k}]`, message: 'undefined would become null' };
      const inner = check(v, ancestors, depth + 1);
      if (inner !== undefined) return { path: (isArray ? `[${k}]` : `.${k}`) + inner.path, message: inner.message };
    }
  } finally {
    ancestors.delete(value);
  }
  return undefined;
}
