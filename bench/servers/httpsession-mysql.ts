/**
 * httpsession, MySQL/MariaDB store (mysql2 promise pool): the cookie carries only the header; every save
 * writes a new row, then shortens the old one to `staleTtl`. Tables of its own, dropped on stop.
 */
import mysql from 'mysql2/promise';
import { countingHandler, createMysqlSchema, createSessionManager, mysqlStorage } from './lib.ts';
import { main, MYSQL_URL, SECRET, serve, sqlBenchTable } from './common.ts';

main(async () => {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
  const [rows] = await pool.query('SELECT VERSION() AS version');
  const version = String((rows as Array<{ version: string }>)[0]!.version);
  const table = sqlBenchTable('httpsession');
  await createMysqlSchema(pool, { table });
  const storage = mysqlStorage({ client: pool, table });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(countingHandler(sessions), {
    info: { mysql: version },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS \`${table}_meta\`, \`${table}\``);
      await pool.end();
    },
  });
});
