/**
 * The express-session cases' app: Express 5, express-session with the given store (its MemoryStore when
 * none), and the same per-request work as every case (read the counter, increment, save, reply).
 *
 * @module
 */
import express from 'express';
import session from 'express-session';
import http from 'node:http';
import { listen, SECRET } from './common.ts';

/**
 * Builds the app and listens on 127.0.0.1 and an ephemeral port.
 * @param store - the express-session store, or `undefined` for its MemoryStore
 * @returns the listening server
 */
export async function listenCountingApp(store: session.Store | undefined): Promise<http.Server> {
  const app = express();
  app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, ...(store === undefined ? {} : { store }) }));
  app.get('/', (req, res, next) => {
    // express-session's session (typed as httpsession's by the root type-check, which sees the adapter)
    const data = req.session as unknown as { n?: number; save(callback: (error?: unknown) => void): void };
    const n = (data.n ?? 0) + 1;
    data.n = n;
    data.save((error) => {
      if (error) return next(error);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(String(n));
    });
  });
  const server = http.createServer(app);
  await listen(server);
  return server;
}
