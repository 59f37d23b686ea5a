/**
 * httpsession's Koa adapter (`httpsession/koa`), cookie storage, in Koa 3: the middleware opens the
 * session, the handler increments the counter, and the adapter commits (re-seals the cookie) after the
 * handler, with no save call. Compare with `koa-bare` and `koa-session`.
 */
import Koa from 'koa';
import http from 'node:http';
import { createSessionManager, koaSession } from './lib.ts';
import { listen, main, SECRET, serveListening } from './common.ts';

main(async () => {
  const app = new Koa();
  app.use(koaSession(createSessionManager({ secret: SECRET, crypto: 'node' })));
  app.use((ctx) => {
    const n = (ctx.session.get('visits') ?? 0) + 1;
    ctx.session.set('visits', n);
    ctx.type = 'text/plain';
    ctx.body = String(n);
  });
  const server = http.createServer(app.callback());
  await listen(server);
  await serveListening(server);
});
