/**
 * express-session with express-mysql-session 3 (mysql2 promise pool), in an Express 5 app. A table of its
 * own (created by express-mysql-session), dropped on stop.
 */
import session from 'express-session';
import expressMysqlSession from 'express-mysql-session';
import mysql from 'mysql2/promise';
import { main, MYSQL_URL, serveListening, sqlBenchTable } from './common.ts';
import { listenCountingApp } from './express-counting.ts';

main(async () => {
  const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 10 });
  const [rows] = await pool.query('SELECT VERSION() AS version');
  const version = String((rows as Array<{ version: string }>)[0]!.version);
  const tableName = sqlBenchTable('express_mysql');
  const MySQLStore = expressMysqlSession(session);
  const store = new MySQLStore({ clearExpired: false, createDatabaseTable: true, schema: { tableName } }, pool);
  await store.onReady();
  await serveListening(await listenCountingApp(store), {
    info: { mysql: version },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS \`${tableName}\``);
      await pool.end();
    },
  });
});
