/**
 * httpsession's Hono middleware (`httpsession/hono`), cookie storage, in Hono 4 on @hono/node-server:
 * compare with `hono-bare` and the Hono session libraries. The handler never saves: the middleware
 * commits the changed session after the handler.
 */
import { Hono } from 'hono';
import type * as HonoAdapter from '../../src/adapters/hono.ts';
import { main, SECRET } from './common.ts';
import { serveHono } from './hono-serve.ts';
import { adapter } from './lib.ts';

main(async () => {
  const { honoSession } = await adapter<typeof HonoAdapter>('hono');
  const app = new Hono().use(honoSession<{ n: number }>({ secret: SECRET, crypto: 'node' })).get('/', (c) => {
    const session = c.get('session');
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    return c.text(String(n));
  });
  await serveHono(app);
});
