/**
 * express-session with connect-pg-simple 10 (pg Pool), in an Express 5 app. A table of its own
 * (created by connect-pg-simple), dropped on stop.
 */
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { main, POSTGRES_URL, serveListening, sqlBenchTable } from './common.ts';
import { listenCountingApp } from './express-counting.ts';

main(async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10 });
  pool.on('error', (error: Error) => console.error(`postgres: ${error.message}`));
  const version = String((await pool.query('SHOW server_version')).rows[0].server_version);
  const tableName = sqlBenchTable('connect_pg');
  const PgStore = connectPgSimple(session);
  const store = new PgStore({ pool, tableName, createTableIfMissing: true, pruneSessionInterval: false });
  await serveListening(await listenCountingApp(store), {
    info: { postgres: version },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS "${tableName}"`);
      await pool.end();
    },
  });
});
