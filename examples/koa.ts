import Koa from 'koa';
import { createSessionManager, isSessionError } from 'httpsession';
import { koaSession } from 'httpsession/koa';

// Type ctx.session's attributes once, for the whole app.
declare module 'httpsession/koa' {
  interface SessionData {
    visits: number;
    user: string;
  }
}

const sessions = createSessionManager({
  secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
  cookie: { secure: process.env.NODE_ENV === 'production' }, // plain HTTP in development
});

const app = new Koa();

// A store outage reaches Koa's error handling as a typed SessionError.
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    if (!isSessionError(err, 'STORAGE_ERROR')) throw err;
    ctx.status = 503;
    ctx.body = 'sessions are unavailable, try again shortly\n';
  }
});

app.use(koaSession(sessions));

app.use(async (ctx) => {
  if (ctx.method === 'POST' && ctx.path === '/login') {
    ctx.session.setSubject('alice').set('user', 'alice');
    await ctx.session.regenerate(); // a new session id on login (fixation)
    ctx.status = 303;
    ctx.redirect('/');
  } else if (ctx.method === 'POST' && ctx.path === '/logout') {
    await ctx.session.logout();
    ctx.status = 303;
    ctx.redirect('/');
  } else {
    const visits = (ctx.session.get('visits') ?? 0) + 1;
    ctx.session.set('visits', visits); // saved before the response goes out: no call needed
    ctx.body = `visit ${visits}${ctx.session.has('user') ? ` as ${ctx.session.get('user')}` : ''}\n`;
  }
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
