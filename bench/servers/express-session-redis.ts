/**
 * express-session with connect-redis 9 (node-redis v5), in an Express 5 app.
 */
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import http from 'node:http';
import { createClient } from 'redis';
import { deleteBenchKeys, listen, main, REDIS_PREFIX, REDIS_URL, SECRET, serveListening } from './common.ts';

main(async () => {
  const client = createClient({ url: REDIS_URL, disableOfflineQueue: true });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await client.connect();
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  const store = new RedisStore({ client, prefix: `${REDIS_PREFIX}-sess:` });
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
    info: { redis: version },
    async cleanup() {
      await deleteBenchKeys(client);
      await client.close();
    },
  });
});
