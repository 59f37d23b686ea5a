// A Hono 4 app on Node (@hono/node-server) with httpsession: the middleware opens the session for each
// request and saves it when it changed, once the handler returned. Run:
//   SESSION_SECRET=... node --import tsx examples/hono.ts
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { honoSession } from 'httpsession/hono';

type Data = { visits: number; user: string };

const app = new Hono()
  .use(
    honoSession<Data>({
      secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
      cookie: { secure: process.env.NODE_ENV === 'production' }, // plain http on localhost otherwise
    }),
  )
  .get('/', (c) => {
    const session = c.get('session'); // Session<Data>
    const visits = (session.get('visits') ?? 0) + 1;
    session.set('visits', visits); // no save() needed: the middleware commits it
    return c.text(`visit ${visits}${session.has('user') ? ` as ${session.get('user')}` : ''}\n`);
  })
  .post('/login', async (c) => {
    const user = c.req.query('user') ?? 'alice'; // check credentials here
    const session = c.get('session');
    session.setSubject(user).set('user', user);
    await session.regenerate(); // a new id on privilege change
    return c.text(`hello ${user}\n`);
  })
  .post('/logout', async (c) => {
    await c.get('session').logout(); // expires the cookie
    return c.text('bye\n');
  });

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
