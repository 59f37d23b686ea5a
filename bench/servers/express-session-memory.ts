/**
 * express-session with its MemoryStore, in an Express 5 app (its usual home: compare with the
 * `express-bare` case for Express's own share). The session is saved explicitly, as in every case.
 */
import express from 'express';
import session from 'express-session';
import http from 'node:http';
import { listen, main, SECRET, serveListening } from './common.ts';

main(async () => {
  const app = express();
  // The default store is the MemoryStore (it warns once that it is not meant for production: expected).
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false }));
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
  await serveListening(server);
});
