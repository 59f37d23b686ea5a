/**
 * A PostgreSQL session store (spec 5.1, 5.4) over lua-resty-session's postgres tables, so a Node service
 * and an OpenResty service can share one database.
 *
 * Design choices, and why:
 * - The client is injected, never imported: a `pg` Pool (or Client) you made, or a `postgres` (porsager)
 *   `sql` instance. Both reach the same few statements through one small function: `pg`'s
 *   `query({ name, text, values })` (named, so each connection parses and plans a statement once) or
 *   `postgres`'s `sql.unsafe(text, values, { prepare: true })`.
 * - The tables are lua's (`sessions(sid, name, data, exp)` and `sessions_meta(aud, sub, sid)` with a
 *   cascading foreign key), plus a `successors` column for compare-and-set saves (lua ignores it). They are created
 *   by {@link createPostgresSchema} or the shipped `sql/postgres.sql`, when you deploy, never by the
 *   store itself. One table holds a key once, whatever the namespace (the primary key is lua's `sid`),
 *   and reads match the namespace too.
 * - Expiry is the `exp` column, checked against the `now` every call receives (a record is live while
 *   `now < exp`), so a fixed clock drives it as it drives the memory store. Nothing deletes expired rows
 *   behind your back: schedule {@link PostgresStorage.sweep}.
 * - Every call is one statement, so one round trip: a save that replaces a record writes the new row,
 *   shortens the old one and moves the subject index in one statement (data-modifying CTEs), atomically:
 *   a failed save leaves the previous record as it was.
 * - Bounded latency: a deadline per call (`timeout`, default 5 s), because a server that accepts a query
 *   and never answers is otherwise waited on forever. Give the pool its own `connectionTimeoutMillis`
 *   and `query_timeout` too, so a hung connection goes back to it (docs/storage/postgres.md).
 *
 * @module
 */
import type { StorageSetInput } from './types.ts';
import { MAX_SUCCESSORS_TEXT, successorList } from './validate.ts';
import { checkSqlOptions, namespaceClash, quoteTable, type SqlStorage, type SqlStorageOptions, type TableName } from './sql.ts';
import { storageShell } from './shell.ts';

export type { SqlStorage, SqlStorageOptions, SweepOptions } from './sql.ts';
import { describeType } from './validate.ts';

/** The shape of a `pg` (node-postgres 8) `Pool` or `Client` used by this store. */
export interface PgClientLike {
  /** Runs one statement; `name` makes it a prepared statement, parsed once per connection. */
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  /** Closes the pool or client (only called with `closeClient: true`). */
  end(): Promise<void>;
}

/** The shape of a `postgres` (porsager, v3) `sql` instance used by this store. */
export interface PostgresJsLike {
  /** Runs one statement with bound parameters; `prepare: true` keeps it prepared per connection. */
  unsafe(text: string, values?: unknown[], options?: { prepare?: boolean }): PromiseLike<unknown[]>;
  /** Closes its connections (only called with `closeClient: true`). */
  end(options?: { timeout?: number }): Promise<void>;
}

/** Any client {@link postgresStorage} accepts. */
export type PostgresClientLike = PgClientLike | PostgresJsLike;

/** Options of {@link postgresStorage}: the client, and `table`, `metaTable`, `closeClient`, `timeout`. */
export interface PostgresStorageOptions extends SqlStorageOptions {
  /**
   * A `pg` Pool (or Client) or a `postgres` (porsager) `sql` instance you created. With `pg`, attach an
   * `'error'` listener to the pool: it emits one when an idle connection drops, and an unhandled
   * `'error'` event ends the process.
   */
  readonly client: PostgresClientLike;
}

/** The store returned by {@link postgresStorage}. */
export type PostgresStorage = SqlStorage;

/** One statement of the store: its text, and the name it is prepared under. */
interface Statement {
  readonly name: string;
  readonly text: string;
}

/** Runs a statement with bound values; resolves to its rows. */
type Query = (statement: Statement, values: unknown[]) => Promise<Array<Record<string, unknown>>>;

const NAME = 'postgres';

/**
 * Creates a PostgreSQL store over a client you own. The tables must exist: {@link createPostgresSchema}.
 * @param options - `client` (required), `table`, `metaTable`, `closeClient`, `timeout`
 * @returns a plain object implementing `Storage`, plus `readMetadata`, `sweep` and `close`
 * @throws TypeError when `client` is neither a `pg` Pool/Client nor a `postgres` sql instance, or an option has the wrong type
 * @throws RangeError when a table name is malformed or `timeout` is negative
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000, query_timeout: 5000 });
 * pool.on('error', (err) => log.warn(`postgres: ${err.message}`));
 * const storage = postgresStorage({ client: pool });
 * const sessions = createSessionManager({ secret, storage });
 * setInterval(() => void storage.sweep().catch(() => {}), 5 * 60_000).unref();
 */
export function postgresStorage(options: PostgresStorageOptions): PostgresStorage {
  const { table, metaTable, closeClient, timeout } = checkSqlOptions(options);
  const client = checkClient(options.client);
  const query = adapt(client);
  const sql = statements(quoteTable(table, '"'), quoteTable(metaTable, '"'));
  return storageShell({ name: NAME, timeout, closeClient }, {
    async set(input) {
      const { statement, values, reports } = setStatement(sql, input);
      const [row] = await query(statement, values);
      // Compare-and-set: nothing was written; the old record is either claimed already or gone.
      if (input.exclusive === true && row !== undefined && Number(row.live) !== 1) {
        return Number(row.present) === 1 ? { oldKeyLive: true, conflict: true } : { oldKeyLive: false };
      }
      if (row === undefined || Number(row.written) !== 1) throw namespaceClash(NAME);
      return reports ? { oldKeyLive: Number(row.live) === 1 } : undefined;
    },
    async get(namespace, key, now) {
      const [row] = await query(sql.get, [key, namespace, now]);
      return row === undefined || row.data === null ? null : String(row.data);
    },
    async getRecord(namespace, key, now) {
      const [row] = await query(sql.getRecord, [key, namespace, now]);
      return row === undefined || row.data === null ? null : { value: String(row.data), successors: successorList(row.successors as string | null) };
    },
    async delete(namespace, key) {
      // The index rows go with the record (ON DELETE CASCADE), so metadata needs no statement of its own.
      const [row] = await query(sql.delete, [key, namespace]);
      return { successors: successorList((row?.successors ?? null) as string | null) };
    },
    async readMetadata(namespace, audience, subject, now) {
      const rows = await query(sql.readMetadata, [audience, subject, namespace, now]);
      return new Map(rows.map((r) => [String(r.sid), Number(r.exp)]));
    },
    async sweep(now, limit) {
      const [row] = await query(sql.sweep, [now, limit]);
      return Number(row?.deleted ?? 0);
    },
    end: () => client.end(),
  });
}

/** The statements of one store, built once with its quoted table names. */
interface Statements {
  readonly get: Statement;
  readonly getRecord: Statement;
  readonly delete: Statement;
  readonly readMetadata: Statement;
  readonly sweep: Statement;
  /** Saves, by [replaces another key: no, yes, yes and leaves a successor, yes and claims it][with metadata]. */
  readonly set: ReadonlyArray<readonly [Statement, Statement]>;
}

/**
 * The SQL of one store. Parameters are always bound, table names checked and quoted. Times are Unix
 * seconds, possibly fractional (`to_timestamp(float8)`), so the column's time zone never matters.
 */
function statements(t: string, m: string): Statements {
  // Every save binds $1 key, $2 namespace, $3 value, $4 expiry, $5 now, then the old key and its new
  // expiry (now + staleTtl) when it replaces one, then the audiences and subjects when it has metadata.
  // A key may be rewritten by its own namespace only, or once its record has expired.
  // A claiming save (compare-and-set) writes its row only if it claimed the old one.
  const upsert = (claim: boolean): string => `INSERT INTO ${t} AS t (sid, name, data, exp, successors)
    SELECT $1::text, $2::text, $3::text, to_timestamp($4::float8), NULL${claim ? ' WHERE EXISTS (SELECT 1 FROM old)' : ''}
    ON CONFLICT (sid) DO UPDATE SET name = EXCLUDED.name, data = EXCLUDED.data, exp = EXCLUDED.exp, successors = NULL
    WHERE t.name = EXCLUDED.name OR t.exp <= to_timestamp($5::float8) RETURNING 1`;
  // The old record is shortened, never extended, and was live when it had not expired. An UPDATE re-reads
  // a row that a concurrent statement changed, so a record deleted meanwhile is reported gone, and one
  // claimed meanwhile is not claimed again (its successors are no longer NULL).
  const shorten = (successor: 0 | 1 | 2): string => {
    const token = `$8::text`;
    const append = successor === 0 ? '' : `, successors = CASE WHEN successors IS NULL THEN ${token} ELSE right(successors || ' ' || ${token}, ${MAX_SUCCESSORS_TEXT}) END`;
    return `UPDATE ${t} SET exp = LEAST(exp, to_timestamp($7::float8))${append}
    WHERE sid = $6::text AND name = $2::text AND exp > to_timestamp($5::float8)${successor === 2 ? ' AND successors IS NULL' : ''} RETURNING 1`;
  };
  /** @param old - 0: replaces nothing; 1: shortens the old record; 2: and leaves a successor; 3: and claims it */
  const save = (old: 0 | 1 | 2 | 3, meta: boolean): Statement => {
    const claim = old === 3;
    const ctes = old === 0 ? [] : [`old AS (${shorten(old === 1 ? 0 : old === 2 ? 1 : 2)})`];
    ctes.push(`rec AS (${upsert(claim)})`);
    if (meta) {
      const a = old === 0 ? 6 : old === 1 ? 8 : 9;
      const pairs = `SELECT a, s FROM unnest($${a}::text[], $${a + 1}::text[]) AS x(a, s)`;
      // Listed only if the record was written; the old key's entries leave the index.
      ctes.push(`listed AS (INSERT INTO ${m} (aud, sub, sid) SELECT a, s, $1::text FROM (${pairs}) AS p WHERE EXISTS (SELECT 1 FROM rec) ON CONFLICT DO NOTHING)`);
      if (old !== 0) ctes.push(`unlisted AS (DELETE FROM ${m} WHERE sid = $6::text AND (aud, sub) IN (${pairs})${claim ? ' AND EXISTS (SELECT 1 FROM rec)' : ''})`);
    }
    const live = old !== 0 ? ', (SELECT count(*) FROM old)::int AS live' : '';
    // Claiming and not claimed: whether the old record is there (claimed by another save) or gone.
    const present = claim ? `, (SELECT count(*) FROM ${t} WHERE sid = $6::text AND name = $2::text AND exp > to_timestamp($5::float8))::int AS present` : '';
    return named(`WITH ${ctes.join(',\n')}\nSELECT (SELECT count(*) FROM rec)::int AS written${live}${present}`);
  };
  return {
    get: named(`SELECT data FROM ${t} WHERE sid = $1::text AND name = $2::text AND exp > to_timestamp($3::float8)`),
    getRecord: named(`SELECT data, successors FROM ${t} WHERE sid = $1::text AND name = $2::text AND exp > to_timestamp($3::float8)`),
    delete: named(`DELETE FROM ${t} WHERE sid = $1::text AND name = $2::text RETURNING successors`),
    readMetadata: named(`SELECT m.sid, extract(epoch FROM s.exp)::float8 AS exp FROM ${m} m JOIN ${t} s ON s.sid = m.sid
      WHERE m.aud = $1::text AND m.sub = $2::text AND s.name = $3::text AND s.exp > to_timestamp($4::float8)`),
    sweep: named(`WITH d AS (DELETE FROM ${t} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${t} WHERE exp <= to_timestamp($1::float8) LIMIT $2::int)) RETURNING 1)
      SELECT count(*)::int AS deleted FROM d`),
    set: ([0, 1, 2, 3] as const).map((old) => [save(old, false), save(old, true)] as const),
  };
}

/** A statement run unprepared (DDL). */
const unprepared = (text: string): Statement => ({ name: '', text });

/** A statement under a name derived from its text: the same text shares one prepared statement per connection. */
function named(text: string): Statement {
  // FNV-1a over the text: names stay unique per text (a pool shared by stores of different tables).
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return { name: `httpsession_${(h >>> 0).toString(36)}_${text.length.toString(36)}`, text };
}

/** The statement and values of one `set`, and whether it reports `oldKeyLive`. */
function setStatement(sql: Statements, input: StorageSetInput): { statement: Statement; values: unknown[]; reports: boolean } {
  const { key, namespace, value, now, oldKey, metadata } = input;
  // With oldKey === key the record was just replaced: shortening it would shorten the new record.
  const old = oldKey !== undefined && oldKey !== key;
  const meta = metadata !== undefined && metadata.audiences.length > 0;
  const values: unknown[] = [key, namespace, value, now + input.ttl, now];
  const successor = old ? input.successor : undefined;
  if (old) values.push(oldKey, now + (input.staleTtl ?? 0));
  if (successor !== undefined) values.push(successor);
  if (meta) values.push([...metadata.audiences], [...metadata.subjects]);
  const variant = !old ? 0 : successor === undefined ? 1 : input.exclusive === true ? 3 : 2;
  return { statement: sql.set[variant]![meta ? 1 : 0], values, reports: old };
}

/** One query function for either library. Both resolve to an array of row objects. */
function adapt(client: PostgresClientLike): Query {
  if (isPostgresJs(client)) {
    return async (statement, values) => (await client.unsafe(statement.text, values, { prepare: statement.name !== '' })) as Array<Record<string, unknown>>;
  }
  return async ({ name, text }, values) => {
    const result = await client.query(name === '' ? { text, values } : { name, text, values });
    return result.rows as Array<Record<string, unknown>>;
  };
}

function isPostgresJs(client: PostgresClientLike): client is PostgresJsLike {
  return typeof (client as Partial<PostgresJsLike>).unsafe === 'function';
}

function checkClient(client: unknown): PostgresClientLike {
  const c = client as Record<string, unknown> | null;
  const callable = typeof c === 'object' || typeof c === 'function';
  if (!callable || c === null || (typeof c.unsafe !== 'function' && typeof c.query !== 'function')) {
    throw new TypeError(`"client" expected a pg Pool or Client or a postgres sql instance, got ${describeType(client)}`);
  }
  return client as PostgresClientLike;
}

/** Options of {@link createPostgresSchema} and {@link postgresSchema}. */
export interface PostgresSchemaOptions {
  /** The records table, `name` or `schema.name`. Default `sessions`. */
  readonly table?: string | undefined;
  /** The subject index table. Default `<table>_meta`. */
  readonly metaTable?: string | undefined;
}

/**
 * The DDL of the store's tables, as `sql/postgres.sql` ships it for the default names: lua-resty-
 * session's two tables (an existing lua table gains the `successors` column, which lua ignores), an index
 * on `exp` for the sweep and one on the index's `sid` for the cascade. Idempotent (`IF NOT EXISTS`).
 * @param options - `table`, `metaTable`
 * @returns the statements, one per element
 * @throws RangeError when a table name is malformed
 * @example
 * console.log(postgresSchema({ table: 'app.sessions' }).join(';\n'));
 */
export function postgresSchema(options: PostgresSchemaOptions = {}): string[] {
  const { table, metaTable } = checkSqlOptions(options);
  const t = quoteTable(table, '"');
  const m = quoteTable(metaTable, '"');
  const index = (name: TableName, column: string): string => `"${`${name.table}_${column}_idx`.slice(0, 63)}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (\n  sid        TEXT PRIMARY KEY,\n  name       TEXT,\n  data       TEXT,\n  exp        TIMESTAMP WITH TIME ZONE,\n  -- Compare-and-set saves: the sealed tokens of the records that replaced this one.\n  successors TEXT\n)`,
    `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS successors TEXT`,
    `CREATE INDEX IF NOT EXISTS ${index(table, 'exp')} ON ${t} (exp)`,
    `CREATE TABLE IF NOT EXISTS ${m} (\n  aud TEXT,\n  sub TEXT,\n  sid TEXT REFERENCES ${t} (sid) ON DELETE CASCADE ON UPDATE CASCADE,\n  PRIMARY KEY (aud, sub, sid)\n)`,
    `CREATE INDEX IF NOT EXISTS ${index(metaTable, 'sid')} ON ${m} (sid)`,
  ];
}

/**
 * Creates the store's tables if they do not exist (run it when you deploy, like a migration; the store
 * never creates tables by itself). The same statements as {@link postgresSchema}, one at a time.
 * @param client - a `pg` Pool/Client or a `postgres` sql instance, with the right to create tables
 * @param options - `table`, `metaTable`
 * @returns when every statement has run
 * @throws TypeError when `client` is not a supported client
 * @throws RangeError when a table name is malformed
 * @throws the client's error when a statement fails (no SessionError: this is not a session operation)
 * @example
 * await createPostgresSchema(pool, { table: 'sessions' });
 */
export async function createPostgresSchema(client: PostgresClientLike, options: PostgresSchemaOptions = {}): Promise<void> {
  const query = adapt(checkClient(client));
  for (const text of postgresSchema(options)) await query(unprepared(text), []);
}
