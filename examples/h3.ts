// An h3 1.x app on node:http with httpsession: the hooks open the session for each request and save it
// when it changed, before the response goes out. Run: SESSION_SECRET=... node --import tsx examples/h3.ts
import http from 'node:http';
import { createApp, createRouter, defineEventHandler, getQuery, toNodeListener } from 'h3';
import { createSessionManager } from 'httpsession';
import { h3Session, useHttpSession } from 'httpsession/h3';

const sessions = createSessionManager<{ visits: number; user: string }>({
  secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
  cookie: { secure: process.env.NODE_ENV === 'production' }, // plain http on localhost otherwise
});

const app = createApp({ ...h3Session(sessions) }); // open in onRequest, commit in onBeforeResponse

const router = createRouter()
  .get('/', defineEventHandler(async (event) => {
    const session = await useHttpSession(event, sessions); // the hooks' session, typed by the manager
    const visits = (session.get('visits') ?? 0) + 1;
    session.set('visits', visits); // no save() needed
    return `visit ${visits}${session.has('user') ? ` as ${session.get('user')}` : ''}\n`;
  }))
  .post('/login', defineEventHandler(async (event) => {
    const user = String(getQuery(event).user ?? 'alice'); // check credentials here
    const session = await useHttpSession(event, sessions);
    session.setSubject(user).set('user', user);
    await session.regenerate(); // a new id on privilege change
    return `hello ${user}\n`;
  }))
  .post('/logout', defineEventHandler(async (event) => {
    await (await useHttpSession(event, sessions)).logout(); // expires the cookie
    return 'bye\n';
  }));
app.use(router);

http.createServer(toNodeListener(app)).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
