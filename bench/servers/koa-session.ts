/**
 * koa-session 7 (Koa's usual session library) in Koa 3, its default cookie store: the data in a base64 JSON
 * cookie signed with `app.keys` (a second `.sig` cookie), committed after the middleware, no save call.
 */
import Koa from 'koa';
import session from 'koa-session';
import http from 'node:http';
import { listen, main, SECRET, serveListening } from './common.ts';

main(async () => {
  const app = new Koa();
  app.keys = [SECRET];
  app.use(session({ key: 'koa.sess', signed: true }, app));
  app.use((ctx) => {
    // koa-session's session (typed as httpsession's by the root type-check, which sees the adapter)
    const data = ctx.session as unknown as { n?: number };
    const n = (data.n ?? 0) + 1;
    data.n = n;
    ctx.type = 'text/plain';
    ctx.body = String(n);
  });
  const server = http.createServer(app.callback());
  await listen(server);
  await serveListening(server);
});
