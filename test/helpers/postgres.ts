/**
 * PostgreSQL for the tests: the shared server at POSTGRES_URL (tables with random names, dropped
 * afterwards), and throw-away clusters (initdb in a temporary directory, a free port) for fault tests.
 *
 * Without a server the tests skip saying how to enable them; on CI (`CI=true`) they fail instead.
 */
import pg from 'pg';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresSchema, type PostgresClientLike } from '../../src/storage/postgres.ts';
import { freePort, skipOrFail } from './redis.ts';
import { runAs, runs, spawnServer, tempDir, type ServerProcess } from './servers.ts';

/** The shared server: `POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`. */
export function postgresUrl(): string {
  return process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

const ENABLE = 'start PostgreSQL on 127.0.0.1:5432 (trust auth, database test) or set POSTGRES_URL=postgres://user@host:port/db to run these tests';

/** Why the POSTGRES_URL tests must skip, or undefined when the server answers (throws on CI). */
export async function postgresSkipReason(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (err) {
    return skipOrFail(`PostgreSQL not reachable at ${new URL(postgresUrl()).host} (${(err as Error).message}) — ${ENABLE}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A pool on the shared server with an 'error' listener and short timeouts. */
export function testPool(url = postgresUrl(), max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 2000 });
  pool.on('error', () => {});
  return pool;
}

/** A random table name (lower case: unquoted SQL in the tests stays valid). */
export function randomTable(label = 'hs'): string {
  return `${label}_${Math.random().toString(36).slice(2, 10)}_${Date.now().toString(36)}`;
}

/** Tables made by {@link makeTables}, to drop at the end. */
export class Tables {
  readonly #made: string[] = [];
  /** Creates the store's tables under a fresh random name; returns the table option. */
  async make(client: PostgresClientLike, label?: string): Promise<{ table: string; metaTable: string }> {
    const table = randomTable(label);
    await createPostgresSchema(client, { table });
    this.#made.push(table);
    return { table, metaTable: `${table}_meta` };
  }
  /** Drops every table made (the index table first: it references the records). */
  async dropAll(pool: pg.Pool): Promise<void> {
    for (const t of this.#made.splice(0)) await pool.query(`DROP TABLE IF EXISTS "${t}_meta", "${t}"`);
  }
}

/** The directory of PostgreSQL's server binaries (initdb, postgres), or undefined. */
export function postgresBinDir(): string | undefined {
  if (runs('initdb')) return '';
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Why throw-away clusters cannot be started, or undefined (throws on CI). */
export function postgresServerSkipReason(): string | undefined {
  if (postgresBinDir() !== undefined) return undefined;
  return skipOrFail('PostgreSQL server binaries (initdb, postgres) not found — install postgresql to run these tests');
}

/** A throw-away cluster. */
export interface PostgresServer extends ServerProcess {
  readonly url: string;
}

/**
 * Starts a throw-away cluster: `initdb` into `dir` (when new) and `postgres` on 127.0.0.1:`port`, trust
 * auth, user `postgres`, database `postgres`. As root, both run as the `postgres` system user.
 */
export async function startPostgresServer(options: { port?: number; dir?: string } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir() ?? '';
  const user = process.getuid?.() === 0 ? 'postgres' : undefined;
  const dir = options.dir ?? (await tempDir('pg', user));
  if (options.dir === undefined) {
    await runAs(user, join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions']);
  }
  const port = options.port ?? (await freePort());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=20', '-c', 'shared_buffers=16MB'];
  const server = await spawnServer({
    bin: join(bin, 'postgres'),
    args,
    user,
    port,
    dir,
    ready: async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => {});
      }
    },
  });
  return { ...server, url };
}
