/**
 * Hono 4 on @hono/node-server with no session: what the framework alone costs, to read the Hono session
 * cases against.
 */
import { Hono } from 'hono';
import { main } from './common.ts';
import { serveHono } from './hono-serve.ts';

main(async () => {
  let n = 0;
  const app = new Hono().get('/', (c) => c.text(String(++n)));
  await serveHono(app);
});
