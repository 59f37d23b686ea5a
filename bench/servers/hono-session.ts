/**
 * @hono/session 0.2 (honojs/middleware) in Hono 4 on @hono/node-server: the data in a JWE cookie (jose,
 * A256GCM under a key derived from the secret), re-encrypted when the data is updated.
 */
import { useSession, type SessionEnv } from '@hono/session';
import { Hono } from 'hono';
import { main, SECRET } from './common.ts';
import { serveHono } from './hono-serve.ts';

main(async () => {
  const app = new Hono<SessionEnv<{ n: number }>>();
  app.use(useSession<{ n: number }>({ secret: SECRET }));
  app.get('/', async (c) => {
    const data = await c.var.session.get();
    const n = (data?.n ?? 0) + 1;
    await c.var.session.update({ n });
    return c.text(String(n));
  });
  await serveHono(app);
});
