/**
 * A MySQL / MariaDB session store (spec 5.1, 5.4) over lua-resty-session's mysql tables, so a Node service
 * and an OpenResty service can share one database. MySQL 8 and MariaDB 10.11+.
 *
 * Design choices, and why:
 * - The client is injected, never imported: a `mysql2` pool you made (the promise API, or the callback
 *   API, whose `promise()` wrapper is used). Statements go through `execute()`: server-side prepared
 *   statements, which mysql2 prepares once per connection and caches.
 * - The tables are lua's (`sessions(sid, name, data, exp)`, `sessions_meta(aud, sub, sid)` with a
 *   cascading foreign key, `CHARACTER SET ascii`), plus a `version` column reserved for compare-and-set
 *   saves, and a binary collation on the keys (base64url is case-sensitive). They are created by
 *   {@link createMysqlSchema} or the shipped `sql/mysql.sql`, when you deploy, never by the store.
 * - Expiry is the `exp` column, checked against the `now` every call receives; {@link MysqlStorage.sweep}
 *   deletes expired rows when you schedule it.
 * - The upsert is `INSERT ... ON DUPLICATE KEY UPDATE col = VALUES(col)`: the one form both servers take
 *   (MariaDB has no `AS new` row alias; MySQL 8.0.20+ accepts `VALUES()` with a deprecation note). Unlike
 *   lua's, it updates `exp` too.
 * - MySQL has no `RETURNING` and no data-modifying CTEs, so a save that replaces a record is two
 *   statements, in the order that keeps a failure harmless: the new row first, alone; then the old row
 *   shortened (its matched-row count tells whether it was still live) and the index updated, together.
 * - Bounded latency: a deadline per call (`timeout`, default 5 s), as in the other stores.
 *
 * @module
 */
import { MAX_SUCCESSORS_TEXT, successorList } from './validate.ts';
import type { StorageSetInput, StorageSetResult } from './types.ts';
import type { Deadline } from './deadline.ts';
import { checkSqlOptions, quoteTable, type SqlStorage, type SqlStorageOptions } from './sql.ts';
import { storageShell } from './shell.ts';
import { describeType } from './validate.ts';

export type { SqlStorage, SqlStorageOptions, SweepOptions } from './sql.ts';

/** What `execute` resolves to: `[rows, fields]` for a SELECT, `[header, undefined]` for a write. */
type ExecuteResult = [unknown, unknown];

/** A value the store binds: text, or a number of seconds. */
export type MysqlValue = string | number;

/** The shape of a `mysql2` promise pool (`mysql2/promise` `createPool()`) used by this store. */
export interface Mysql2PromisePoolLike {
  /** Runs one prepared statement with bound values. */
  execute(sql: string, values?: MysqlValue[]): Promise<ExecuteResult>;
  /** Closes the pool (only called with `closeClient: true`). */
  end(): Promise<void>;
}

/** The shape of a `mysql2` callback pool (`mysql2` `createPool()`): its promise wrapper is used. */
export interface Mysql2CallbackPoolLike {
  /** The promise API over the same pool. */
  promise(): Mysql2PromisePoolLike;
}

/** Any client {@link mysqlStorage} accepts. */
export type MysqlClientLike = Mysql2PromisePoolLike | Mysql2CallbackPoolLike;

/** Options of {@link mysqlStorage}: the client, and `table`, `metaTable`, `closeClient`, `timeout`. */
export interface MysqlStorageOptions extends SqlStorageOptions {
  /**
   * A `mysql2` pool you created (`mysql2/promise` or `mysql2`). The store binds Unix seconds and converts
   * them with `FROM_UNIXTIME()`, so keep the session `time_zone` the same for every writer (UTC
   * recommended; see docs/storage/mysql.md).
   */
  readonly client: MysqlClientLike;
}

/** The store returned by {@link mysqlStorage}. */
export type MysqlStorage = SqlStorage;

type Execute = (sql: string, values: MysqlValue[]) => Promise<ExecuteResult>;

const NAME = 'mysql';

/**
 * Creates a MySQL / MariaDB store over a pool you own. The tables must exist: {@link createMysqlSchema}.
 * @param options - `client` (required), `table`, `metaTable`, `closeClient`, `timeout`
 * @returns a plain object implementing `Storage`, plus `readMetadata`, `sweep` and `close`
 * @throws TypeError when `client` is not a mysql2 pool, or an option has the wrong type
 * @throws RangeError when a table name is malformed or `timeout` is negative
 * @example
 * import mysql from 'mysql2/promise';
 * const pool = mysql.createPool({ uri: process.env.MYSQL_URL, connectTimeout: 2000, timezone: 'Z' });
 * const storage = mysqlStorage({ client: pool });
 * setInterval(() => void storage.sweep().catch(() => {}), 5 * 60_000).unref();
 */
export function mysqlStorage(options: MysqlStorageOptions): MysqlStorage {
  const { table, metaTable, closeClient, timeout } = checkSqlOptions(options);
  const pool = promisePool(options.client);
  const execute: Execute = (sql, values) => pool.execute(sql, values);
  const t = quoteTable(table, '`');
  const m = quoteTable(metaTable, '`');
  const sql = statements(t, m);
  return storageShell({ name: NAME, timeout, closeClient }, {
    set: (input, deadline) => setRecord(execute, sql, m, input, deadline),
    async get(namespace, key, now) {
      const [rows] = await execute(sql.get, [key, namespace, now]);
      const row = (rows as Array<{ data: unknown }>)[0];
      return row === undefined || row.data === null ? null : String(row.data);
    },
    async getRecord(namespace, key, now) {
      const [rows] = await execute(sql.getRecord, [key, namespace, now]);
      const row = (rows as Array<{ data: unknown; successors: unknown }>)[0];
      return row === undefined || row.data === null ? null : { value: String(row.data), successors: successorList(row.successors as string | null) };
    },
    async delete(namespace, key, now) {
      // Ended first (its expiry put at `now`), so no save can leave a successor on it any more (they
      // match live rows only); then its successors are read, then it goes. The index rows go with the
      // record (ON DELETE CASCADE).
      await execute(sql.end, [now, key, namespace]);
      const [rows] = await execute(sql.successors, [key, namespace]);
      const row = (rows as Array<{ successors: unknown }>)[0];
      await execute(sql.delete, [key, namespace]);
      return { successors: successorList((row?.successors ?? null) as string | null) };
    },
    async readMetadata(namespace, audience, subject, now) {
      const [rows] = await execute(sql.readMetadata, [audience, subject, namespace, now]);
      return new Map((rows as Array<{ sid: unknown; exp: unknown }>).map((r) => [String(r.sid), Number(r.exp)]));
    },
    async sweep(now, limit) {
      // LIMIT is not a placeholder in every server's prepared statements: a checked integer, inlined.
      const [header] = await execute(`${sql.sweep} LIMIT ${limit}`, [now]);
      return Number((header as { affectedRows?: unknown }).affectedRows ?? 0);
    },
    end: () => pool.end(),
  });
}

/** The fixed statements of one store. */
interface Statements {
  readonly get: string;
  readonly getRecord: string;
  readonly upsert: string;
  readonly shorten: string;
  /** Shortens and leaves a successor token; `claim` only on a record that has none. */
  readonly succeed: string;
  readonly claim: string;
  readonly live: string;
  readonly end: string;
  readonly successors: string;
  readonly delete: string;
  readonly readMetadata: string;
  readonly sweep: string;
}

/**
 * The SQL of one store: parameters bound, table names checked and quoted. Times are Unix seconds,
 * converted by `FROM_UNIXTIME()` in the session time zone, the same way for every statement. `exp` is
 * a whole-second DATETIME, so expiries are rounded up (never shortened).
 */
function statements(t: string, m: string): Statements {
  const succeed = `UPDATE ${t} SET exp = LEAST(exp, FROM_UNIXTIME(?)),
      successors = IF(successors IS NULL, ?, RIGHT(CONCAT(successors, ' ', ?), ${MAX_SUCCESSORS_TEXT}))
      WHERE sid = ? AND name = ? AND exp > FROM_UNIXTIME(?)`;
  return {
    get: `SELECT data FROM ${t} WHERE sid = ? AND name = ? AND exp > FROM_UNIXTIME(?)`,
    getRecord: `SELECT data, successors FROM ${t} WHERE sid = ? AND name = ? AND exp > FROM_UNIXTIME(?)`,
    upsert: `INSERT INTO ${t} (sid, name, data, exp, successors) VALUES (?, ?, ?, FROM_UNIXTIME(?), NULL)
      ON DUPLICATE KEY UPDATE name = VALUES(name), data = VALUES(data), exp = VALUES(exp), successors = NULL`,
    // Shortened, never extended; matched only while live.
    shorten: `UPDATE ${t} SET exp = LEAST(exp, FROM_UNIXTIME(?)) WHERE sid = ? AND name = ? AND exp > FROM_UNIXTIME(?)`,
    succeed,
    // One statement, so two claims of one row are serialised by its lock: the second matches nothing.
    claim: `${succeed} AND successors IS NULL`,
    live: `SELECT 1 AS live FROM ${t} WHERE sid = ? AND name = ? AND exp > FROM_UNIXTIME(?)`,
    end: `UPDATE ${t} SET exp = LEAST(exp, FROM_UNIXTIME(?)) WHERE sid = ? AND name = ?`,
    successors: `SELECT successors FROM ${t} WHERE sid = ? AND name = ?`,
    delete: `DELETE FROM ${t} WHERE sid = ? AND name = ?`,
    readMetadata: `SELECT m.sid AS sid, UNIX_TIMESTAMP(s.exp) AS exp FROM ${m} m JOIN ${t} s ON s.sid = m.sid
      WHERE m.aud = ? AND m.sub = ? AND s.name = ? AND s.exp > FROM_UNIXTIME(?)`,
    sweep: `DELETE FROM ${t} WHERE exp <= FROM_UNIXTIME(?) ORDER BY exp`,
  };
}

/**
 * The statements of one `set` (see the module comment): the new row alone, then the old row's shortening
 * and the index changes together. Past the deadline nothing more is sent: the caller was told the save
 * failed, and shortening the old record now would break the cookie it still holds.
 */
async function setRecord(execute: Execute, sql: Statements, m: string, input: StorageSetInput, deadline: Deadline): Promise<StorageSetResult | undefined> {
  const { namespace, key, value, now, oldKey, metadata } = input;
  await execute(sql.upsert, [key, namespace, value, Math.ceil(now + input.ttl)]);
  if (deadline.expired) throw new Error('deadline passed after the record was written');
  const old = oldKey !== undefined && oldKey !== key ? oldKey : undefined;
  const calls: Array<Promise<unknown>> = [];
  const staleExp = Math.ceil(now + (input.staleTtl ?? 0));
  const token = input.successor;
  if (old !== undefined && token !== undefined && input.exclusive === true) {
    // Compare-and-set: claimed before anything else changes; lost, the new row is withdrawn.
    const [header] = await execute(sql.claim, [staleExp, token, token, old, namespace, now]);
    if (matchedRows(header) === 0) {
      const [rows] = await execute(sql.live, [old, namespace, now]);
      await execute(sql.delete, [key, namespace]);
      return (rows as unknown[]).length > 0 ? { oldKeyLive: true, conflict: true } : { oldKeyLive: false };
    }
  }
  const live =
    old === undefined
      ? undefined
      : input.exclusive === true && token !== undefined
        ? Promise.resolve(true)
        : (token === undefined ? execute(sql.shorten, [staleExp, old, namespace, now]) : execute(sql.succeed, [staleExp, token, token, old, namespace, now])).then(
            ([header]) => matchedRows(header) > 0,
          );
  if (live !== undefined) calls.push(live);
  if (metadata !== undefined && metadata.audiences.length > 0) {
    const pairs = metadata.audiences.map((a, i) => [a, metadata.subjects[i]!] as const);
    calls.push(execute(`INSERT IGNORE INTO ${m} (aud, sub, sid) VALUES ${pairs.map(() => '(?, ?, ?)').join(', ')}`, pairs.flatMap(([a, s]) => [a, s, key])));
    if (old !== undefined) {
      calls.push(execute(`DELETE FROM ${m} WHERE sid = ? AND (${pairs.map(() => '(aud = ? AND sub = ?)').join(' OR ')})`, [old, ...pairs.flat()]));
    }
  }
  // Every call settles before the result: a failure of one rejects the save, none is left unobserved.
  const results = await Promise.allSettled(calls);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return live === undefined ? undefined : { oldKeyLive: await live };
}

/**
 * The rows an UPDATE matched (not only those it changed: an old record already shortened is live too).
 * mysql2 reports matched rows as `affectedRows` while its default `FOUND_ROWS` flag is on; the server's
 * info text says it either way.
 */
function matchedRows(header: unknown): number {
  const h = header as { info?: unknown; affectedRows?: unknown };
  const matched = typeof h.info === 'string' ? /Rows matched: (\d+)/.exec(h.info) : null;
  return matched === null ? Number(h.affectedRows ?? 0) : Number(matched[1]);
}

/** The promise API of the pool given. */
function promisePool(client: unknown): Mysql2PromisePoolLike {
  const c = client as Record<string, unknown> | null;
  if (typeof c === 'object' && c !== null) {
    // A callback pool has `promise()`; a promise pool has `execute()` and wraps the callback pool as `pool`.
    if (typeof c.execute === 'function' && typeof c.pool === 'object') return c as unknown as Mysql2PromisePoolLike;
    if (typeof c.promise === 'function') return (c as unknown as Mysql2CallbackPoolLike).promise();
    if (typeof c.execute === 'function' && typeof c.end === 'function') return c as unknown as Mysql2PromisePoolLike;
  }
  throw new TypeError(`"client" expected a mysql2 pool (mysql2/promise createPool() or mysql2 createPool()), got ${describeType(client)}`);
}

/** Options of {@link createMysqlSchema} and {@link mysqlSchema}. */
export interface MysqlSchemaOptions {
  /** The records table, `name` or `database.name`. Default `sessions`. */
  readonly table?: string | undefined;
  /** The subject index table. Default `<table>_meta`. */
  readonly metaTable?: string | undefined;
}

/**
 * The DDL of the store's tables, as `sql/mysql.sql` ships it for the default names: lua-resty-session's
 * two tables with a binary collation on the keys and the `successors` column of compare-and-set saves.
 * Idempotent. {@link createMysqlSchema} also adds `successors` to an existing lua table, which `CREATE
 * TABLE IF NOT EXISTS` leaves alone.
 * @param options - `table`, `metaTable`
 * @returns the statements, one per element
 * @throws RangeError when a table name is malformed
 * @example
 * console.log(mysqlSchema().join(';\n'));
 */
export function mysqlSchema(options: MysqlSchemaOptions = {}): string[] {
  return schemaStatements(options, 'ascii_bin');
}

/** {@link mysqlSchema} with the index's keys in `collation` (the records table's, for the foreign key). */
function schemaStatements(options: MysqlSchemaOptions, collation: string): string[] {
  const { table, metaTable } = checkSqlOptions(options);
  const t = quoteTable(table, '`');
  const m = quoteTable(metaTable, '`');
  const fk = `\`${`${metaTable.table}_sid_fk`.slice(0, 64)}\``;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (\n  sid        CHAR(43) COLLATE ascii_bin PRIMARY KEY,\n  name       VARCHAR(255),\n  data       MEDIUMTEXT,\n  exp        DATETIME,\n  -- Compare-and-set saves: the sealed tokens of the records that replaced this one.\n  successors TEXT,\n  INDEX (exp)\n) CHARACTER SET ascii`,
    `CREATE TABLE IF NOT EXISTS ${m} (\n  aud VARCHAR(255) COLLATE ascii_bin,\n  sub VARCHAR(255) COLLATE ascii_bin,\n  sid CHAR(43) COLLATE ${collation},\n  PRIMARY KEY (aud, sub, sid),\n  INDEX (sid),\n  CONSTRAINT ${fk} FOREIGN KEY (sid) REFERENCES ${t} (sid) ON DELETE CASCADE ON UPDATE CASCADE\n) CHARACTER SET ascii`,
  ];
}

/**
 * Creates the store's tables if they do not exist, and adds the `successors` column to an existing
 * lua-resty-session table (run it when you deploy; the store never creates tables by itself).
 * @param client - a mysql2 pool with the right to create tables
 * @param options - `table`, `metaTable`
 * @returns when every statement has run
 * @throws TypeError when `client` is not a mysql2 pool
 * @throws RangeError when a table name is malformed
 * @throws the client's error when a statement fails
 * @example
 * await createMysqlSchema(pool);
 */
export async function createMysqlSchema(client: MysqlClientLike, options: MysqlSchemaOptions = {}): Promise<void> {
  const pool = promisePool(client);
  const { table } = checkSqlOptions(options);
  await pool.execute(schemaStatements(options, 'ascii_bin')[0]!, []);
  // The table may be lua's, created before: MySQL 8 has no ADD COLUMN IF NOT EXISTS, so look first; and its
  // keys may be case-insensitive (ascii_general_ci), which the index's foreign key must then match.
  const where = table.schema === undefined ? 'table_schema = DATABASE()' : 'table_schema = ?';
  const [rows] = await pool.execute(
    `SELECT column_name AS name, collation_name AS collation FROM information_schema.columns WHERE ${where} AND table_name = ? AND column_name IN ('sid', 'successors')`,
    table.schema === undefined ? [table.table] : [table.schema, table.table],
  );
  const columns = new Map((rows as Array<{ name: unknown; collation: unknown }>).map((r) => [String(r.name).toLowerCase(), r.collation]));
  if (!columns.has('successors')) await pool.execute(`ALTER TABLE ${quoteTable(table, '`')} ADD COLUMN successors TEXT`, []);
  const collation = columns.get('sid');
  await pool.execute(schemaStatements(options, typeof collation === 'string' && /^[a-z0-9_]+$/.test(collation) ? collation : 'ascii_bin')[1]!, []);
}
