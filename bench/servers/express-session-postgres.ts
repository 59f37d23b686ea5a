/**
 * express-session with connect-pg-simple 10 (pg Pool), in an Express 5 app. A table of its own
 * (created by connect-pg-simple), dropped on stop.
 */
import connectPgSimple from 'connect-pg-simple';
import express from 'express';
import session from 'express-session';
import http from 'node:http';
import pg from 'pg';
import { listen, main, POSTGRES_URL, SECRET, serveListening, sqlBenchTable } from './common.ts';

main(async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10 });
  pool.on('error', (error: Error) => console.error(`postgres: ${error.message}`));
  const version = String((await pool.query('SHOW server_version')).rows[0].server_version);
  const tableName = sqlBenchTable('connect_pg');
  const PgStore = connectPgSimple(session);
  const store = new PgStore({ pool, tableName, createTableIfMissing: true, pruneSessionInterval: false });
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, store }));
  app.get('/', (req, res, next) => {
    const data = req.session as unknown as { n?: number };
    const n = (data.n ?? 0) + 1;
    data.n = n;
    req.session.save((error) => {
      if (error) return next(error);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(String(n));
    });
  });
  const server = http.createServer(app);
  await listen(server);
  await serveListening(server, {
    info: { postgres: version },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS "${tableName}"`);
      await pool.end();
    },
  });
});
