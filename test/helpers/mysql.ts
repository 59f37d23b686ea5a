/**
 * MySQL / MariaDB for the tests: the shared server at MYSQL_URL (tables with random names, dropped
 * afterwards), and throw-away MariaDB servers (an empty data directory, a free port, no grant tables)
 * for the fault tests.
 *
 * Without a server the tests skip saying how to enable them; on CI (`CI=true`) they fail instead.
 */
import mysql from 'mysql2/promise';
import { join } from 'node:path';
import { createMysqlSchema, type MysqlClientLike } from '../../src/storage/mysql.ts';
import { randomTable } from './postgres.ts';
import { freePort, skipOrFail } from './redis.ts';
import { runs, spawnServer, tempDir, type ServerProcess } from './servers.ts';

/** The shared server: `MYSQL_URL`, default `mysql://root@127.0.0.1:3306/test`. */
export function mysqlUrl(): string {
  return process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
}

/** A promise pool with short timeouts (UTC session time zone, as docs/storage/mysql.md recommends). */
export function mysqlPool(url = mysqlUrl(), connectionLimit = 4): mysql.Pool {
  const pool = mysql.createPool({ uri: url, connectionLimit, connectTimeout: 2000, timezone: 'Z' });
  pool.pool.on('connection', (connection) => void connection.query("SET time_zone = '+00:00'"));
  return pool;
}

/** Why the MYSQL_URL tests must skip, or undefined when the server answers (throws on CI). */
export async function mysqlSkipReason(): Promise<string | undefined> {
  const pool = mysqlPool(mysqlUrl(), 1);
  try {
    await pool.query('SELECT 1');
    return undefined;
  } catch (err) {
    return skipOrFail(`MySQL/MariaDB not reachable at ${new URL(mysqlUrl()).host} (${(err as Error).message}) — start MariaDB on 127.0.0.1:3306 (root, no password, database test) or set MYSQL_URL=mysql://user@host:port/db to run these tests`);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** Tables made by {@link MysqlTables.make}, dropped at the end. */
export class MysqlTables {
  readonly #made: string[] = [];
  /** Creates the store's tables under a fresh random name; returns the table options. */
  async make(client: MysqlClientLike, label?: string): Promise<{ table: string; metaTable: string }> {
    const table = randomTable(label);
    await createMysqlSchema(client, { table });
    this.#made.push(table);
    return { table, metaTable: `${table}_meta` };
  }
  /** Drops every table made (the index table first: it references the records). */
  async dropAll(pool: mysql.Pool): Promise<void> {
    for (const t of this.#made.splice(0)) await pool.query(`DROP TABLE IF EXISTS \`${t}_meta\`, \`${t}\``);
  }
}

/** Why throw-away MariaDB servers cannot be started, or undefined (throws on CI). */
export function mariadbServerSkipReason(): string | undefined {
  if (runs('mariadbd')) return undefined;
  return skipOrFail('mariadbd not found — install mariadb-server to run these tests');
}

/** A throw-away MariaDB server. */
export interface MariadbServer extends ServerProcess {
  readonly url: string;
}

/**
 * Starts mariadbd on 127.0.0.1:`port` with `dir` as its data directory (new: an empty one), without
 * grant tables (any user, no password), and creates the database `test`. As root it runs as `mysql`.
 * Commits reach the OS at once (`innodb_flush_log_at_trx_commit=2`): they survive a crash of the process.
 */
export async function startMariadbServer(options: { port?: number; dir?: string } = {}): Promise<MariadbServer> {
  const user = process.getuid?.() === 0 ? 'mysql' : undefined;
  const dir = options.dir ?? (await tempDir('mariadb', user));
  const port = options.port ?? (await freePort());
  const url = `mysql://root@127.0.0.1:${port}/test`;
  const args = [
    '--no-defaults',
    `--datadir=${dir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=16M',
    '--innodb-flush-log-at-trx-commit=2',
  ];
  const server = await spawnServer({
    bin: 'mariadbd',
    args,
    user,
    port,
    dir,
    ready: async () => {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      try {
        await connection.query('CREATE DATABASE IF NOT EXISTS test');
        return true;
      } finally {
        await connection.end().catch(() => {});
      }
    },
  });
  return { ...server, url };
}
