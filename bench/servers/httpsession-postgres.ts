/**
 * httpsession, PostgreSQL store (pg Pool): the cookie carries only the header; every save writes a new
 * row and shortens the old one to `staleTtl`, in one statement. Tables of its own, dropped on stop.
 */
import pg from 'pg';
import { countingHandler, createPostgresSchema, createSessionManager, postgresStorage } from './lib.ts';
import { main, POSTGRES_URL, SECRET, serve, sqlBenchTable } from './common.ts';

main(async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10 });
  pool.on('error', (error: Error) => console.error(`postgres: ${error.message}`));
  const version = String((await pool.query('SHOW server_version')).rows[0].server_version);
  const table = sqlBenchTable('httpsession');
  await createPostgresSchema(pool, { table });
  const storage = postgresStorage({ client: pool, table });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(countingHandler(sessions), {
    info: { postgres: version },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS "${table}_meta", "${table}"`);
      await pool.end();
    },
  });
});
