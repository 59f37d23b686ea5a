/**
 * httpsession's Express adapter (`httpsession/express`), cookie storage, in Express 5: the middleware opens
 * the session, the handler increments the counter, and the adapter commits (re-seals the cookie) as the
 * response ends, with no save call. Compare with `express-bare` (the framework alone) and
 * `express-session-memory` (the framework's usual session library).
 */
import express from 'express';
import http from 'node:http';
import { createSessionManager, expressSession, memoryStorage } from './lib.ts';
import { listen, main, SECRET, serveListening } from './common.ts';

main(async () => {
  const storage = process.env.BENCH_EXPRESS_STORE === 'memory' ? memoryStorage() : undefined;
  const sessions = createSessionManager({ secret: SECRET, crypto: 'node', ...(storage === undefined ? {} : { storage }) });
  const app = express();
  app.use(expressSession(sessions));
  app.get('/', (req, res) => {
    const n = (req.session.get('visits') ?? 0) + 1;
    req.session.set('visits', n);
    res.statusCode = 200;
    res.setHeader('content-type', 'text/plain');
    res.end(String(n));
  });
  const server = http.createServer(app);
  await listen(server);
  await serveListening(server);
});
