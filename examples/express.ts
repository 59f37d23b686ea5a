import express, { type NextFunction, type Request, type Response } from 'express';
import { createSessionManager, isSessionError } from 'httpsession';
import { expressSession } from 'httpsession/express';

// Type req.session's attributes once, for the whole app.
declare module 'httpsession/express' {
  interface SessionData {
    visits: number;
    user: string;
  }
}

const sessions = createSessionManager({
  secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
  cookie: { secure: process.env.NODE_ENV === 'production' }, // plain HTTP in development
});

const app = express();
app.use(expressSession(sessions));

app.get('/', (req, res) => {
  const visits = (req.session.get('visits') ?? 0) + 1;
  req.session.set('visits', visits); // saved before the response goes out: no call needed
  res.send(`visit ${visits}${req.session.has('user') ? ` as ${req.session.get('user')}` : ''}\n`);
});

app.post('/login', async (req, res) => {
  req.session.setSubject('alice').set('user', 'alice');
  await req.session.regenerate(); // a new session id on login (fixation)
  res.redirect(303, '/');
});

app.post('/logout', async (req, res) => {
  await req.session.logout();
  res.redirect(303, '/');
});

// A store outage reaches Express's error handlers as a typed SessionError.
app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
  if (!isSessionError(err, 'STORAGE_ERROR')) return next(err);
  res.status(503).send('sessions are unavailable, try again shortly\n');
});

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
