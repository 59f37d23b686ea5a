/**
 * Koa 3 with no session: what the framework alone costs, to read the Koa session cases against.
 */
import Koa from 'koa';
import http from 'node:http';
import { listen, main, serveListening } from './common.ts';

main(async () => {
  let n = 0;
  const app = new Koa();
  app.use((ctx) => {
    ctx.type = 'text/plain';
    ctx.body = String(++n);
  });
  const server = http.createServer(app.callback());
  await listen(server);
  await serveListening(server);
});
