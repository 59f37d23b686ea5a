/**
 * Express 5 with no session: what the framework alone costs, to read the express-session cases against.
 */
import express from 'express';
import http from 'node:http';
import { listen, main, serveListening } from './common.ts';

main(async () => {
  let n = 0;
  const app = express();
  app.get('/', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(String(++n));
  });
  const server = http.createServer(app);
  await listen(server);
  await serveListening(server);
});
