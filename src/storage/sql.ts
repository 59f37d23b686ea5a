/**
 * What the SQL stores (PostgreSQL, MySQL/MariaDB) share: table names, their quoting, and the checks of
 * the options every SQL store takes.
 *
 * Table names are the only text interpolated into SQL (everything else is a bound parameter), so they
 * are checked once, at construction, against a strict grammar and then quoted: an unquoted identifier
 * or a schema-qualified one, `[A-Za-z_][A-Za-z0-9_]*` per part, at most 63 characters (PostgreSQL's
 * limit; MySQL's is 64).
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import { checkBooleanOption, checkOptionsObject, checkTime, checkTimeoutOption, describeType } from './validate.ts';

/** One identifier: a letter or `_`, then letters, digits, `_`. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A table name as given, and its parts. */
export interface TableName {
  /** The schema (PostgreSQL) or database (MySQL), when the name was qualified. */
  readonly schema: string | undefined;
  /** The table itself. */
  readonly table: string;
}

/**
 * Parses and validates a table option: `table` or `schema.table`.
 * @param value - the option, as received (`undefined` takes `fallback`)
 * @param option - its name, for the message
 * @param fallback - the default
 * @returns its parts
 * @throws TypeError when it is not a string
 * @throws RangeError when a part is not `[A-Za-z_][A-Za-z0-9_]*` of at most 63 characters
 * @example
 * checkTableName('app.sessions', 'table', 'sessions'); // { schema: 'app', table: 'sessions' }
 */
export function checkTableName(value: unknown, option: string, fallback: string): TableName {
  if (value === undefined) value = fallback;
  if (typeof value !== 'string') throw new TypeError(`"${option}" expected a string, got ${describeType(value)}`);
  const parts = value.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new RangeError(`"${option}" expected a table name ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters, optionally schema.table), got ${JSON.stringify(value)}`);
  }
  return parts.length === 2 ? { schema: parts[0], table: parts[1]! } : { schema: undefined, table: parts[0]! };
}

/**
 * Quotes a checked table name for SQL text.
 * @param name - a name from {@link checkTableName}
 * @param quote - `"` (PostgreSQL, standard SQL) or `` ` `` (MySQL)
 * @returns e.g. `"app"."sessions"`
 * @example
 * quoteTable({ schema: undefined, table: 'sessions' }, '`'); // '`sessions`'
 */
export function quoteTable(name: TableName, quote: '"' | '`'): string {
  const q = (part: string): string => `${quote}${part}${quote}`;
  return name.schema === undefined ? q(name.table) : `${q(name.schema)}.${q(name.table)}`;
}

/** The options every SQL store takes besides its client. */
export interface SqlStorageOptions {
  /** The records table, `name` or `schema.name`. Default `sessions` (lua-resty-session's). */
  readonly table?: string | undefined;
  /** The subject index table. Default `<table>_meta` (`sessions_meta`, lua-resty-session's). */
  readonly metaTable?: string | undefined;
  /** End the client on `close()`. Default `false`: the client is yours and stays open. */
  readonly closeClient?: boolean | undefined;
  /**
   * Milliseconds after which a call rejects with `STORAGE_ERROR` even if the server has not answered; `0`
   * turns the deadline off. Default 5000. A statement already sent may still complete afterwards.
   */
  readonly timeout?: number | undefined;
}

/** {@link SqlStorageOptions} checked, with their defaults. */
export interface SqlStoreSettings {
  readonly table: TableName;
  readonly metaTable: TableName;
  readonly closeClient: boolean;
  readonly timeout: number;
}

/** Far above any healthy round trip, well below a hung connection's forever. */
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Validates the options shared by the SQL stores (everything but the client).
 * @param options - the factory's options, as received
 * @returns the settings with their defaults (`sessions`, `sessions_meta`, `false`, 5000)
 * @throws TypeError when `options` is not an object or an option has the wrong type
 * @throws RangeError when a table name is malformed, the two tables are the same, or `timeout` is negative
 * @example
 * const { table, metaTable, closeClient, timeout } = checkSqlOptions(options);
 */
export function checkSqlOptions(options: unknown): SqlStoreSettings {
  checkOptionsObject(options);
  const o = options as Record<string, unknown>;
  const table = checkTableName(o.table, 'table', 'sessions');
  const metaTable = checkTableName(o.metaTable, 'metaTable', `${table.table}_meta`.slice(0, 63));
  if (table.schema === metaTable.schema && table.table === metaTable.table) {
    throw new RangeError('"metaTable" expected a table other than "table"');
  }
  return {
    table,
    metaTable,
    closeClient: checkBooleanOption(o.closeClient, 'closeClient', false),
    timeout: checkTimeoutOption(o.timeout, DEFAULT_TIMEOUT_MS),
  };
}

/**
 * The error of a call on a closed store.
 * @param name - the store's name
 * @returns a `STORAGE_ERROR` naming it
 */
export function closedError(name: string): SessionError {
  return new SessionError('STORAGE_ERROR', `${name} storage is closed`, { storage: name });
}

/**
 * The error of a write refused because its key holds a live record of another namespace: one table
 * holds one key once, whatever the namespace (lua-resty-session's schema), so two stores that could
 * write the same key (a revocation store with `hashStorageKey`) need tables of their own.
 * @param name - the store's name
 * @returns a `STORAGE_ERROR` naming it
 */
export function namespaceClash(name: string): SessionError {
  return new SessionError('STORAGE_ERROR', `${name} storage refused a write: its key holds a live record of another namespace (give each store its own table)`, { storage: name });
}

/** Options of a SQL store's `sweep()`. */
export interface SweepOptions {
  /** Rows that expired at or before this time (Unix seconds) are deleted. Default: the current time. */
  readonly now?: number | undefined;
  /** The most rows deleted by one call (a bounded statement); default 10 000. Call again while it returns this many. */
  readonly limit?: number | undefined;
}

const DEFAULT_SWEEP_LIMIT = 10_000;

/**
 * Validates the options of `sweep()`.
 * @param options - as received
 * @returns the cut-off time and the row limit, defaults applied
 * @throws TypeError when `options` is not an object or `now` is not a finite number
 * @throws RangeError when `limit` is not an integer from 1 to 2^31 - 1
 */
export function checkSweep(options: SweepOptions): { now: number; limit: number } {
  checkOptionsObject(options);
  const { now = Date.now() / 1000, limit = DEFAULT_SWEEP_LIMIT } = options;
  checkTime(now, 'now');
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > 2 ** 31 - 1) {
    throw new RangeError(`"limit" expected a positive integer, got ${describeType(limit)}`);
  }
  return { now, limit };
}

/**
 * The store a SQL store factory returns: a {@link Storage} with `readMetadata`, `sweep(options?)` (deletes
 * expired records, their index rows going with them by the foreign key, and resolves to how many: schedule
 * it, as expired records are never read but stay until swept) and `close()`.
 */
export type { IndexedStorage as SqlStorage } from './shell.ts';
