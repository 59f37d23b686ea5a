// A Fastify 5 app with httpsession: the plugin opens the session on every request and saves it when it
// changed, before the reply's headers go out. Run: SESSION_SECRET=... node --import tsx examples/fastify.ts
import Fastify from 'fastify';
import { fastifySession } from 'httpsession/fastify';

declare module 'httpsession/fastify' {
  interface SessionData {
    visits: number;
    user: string;
  }
}

const app = Fastify();
await app.register(fastifySession, {
  secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
  cookie: { secure: process.env.NODE_ENV === 'production' }, // plain http on localhost otherwise
});

app.get('/', async (request) => {
  const visits = (request.session.get('visits') ?? 0) + 1; // typed: number | undefined
  request.session.set('visits', visits); // no save() needed: the plugin commits it
  return `visit ${visits}${request.session.has('user') ? ` as ${request.session.get('user')}` : ''}\n`;
});

app.post<{ Querystring: { user?: string } }>('/login', async (request) => {
  const user = request.query.user ?? 'alice'; // check credentials here
  request.session.setSubject(user).set('user', user);
  await request.session.regenerate(); // a new id on privilege change
  return `hello ${user}\n`;
});

app.post('/logout', async (request) => {
  await request.session.logout(); // expires the cookie
  return 'bye\n';
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
