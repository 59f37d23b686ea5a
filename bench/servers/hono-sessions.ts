/**
 * hono-sessions 0.8 (jcs224/hono_sessions) in Hono 4 on @hono/node-server, with its CookieStore: the data
 * encrypted into the cookie with iron-webcrypto, re-sealed on every response.
 */
import { Hono } from 'hono';
import { CookieStore, sessionMiddleware, type Session } from 'hono-sessions';
import { main, SECRET } from './common.ts';
import { serveHono } from './hono-serve.ts';

main(async () => {
  const app = new Hono<{ Variables: { session: Session<{ n: number }>; session_key_rotation: boolean } }>();
  app.use(sessionMiddleware({ store: new CookieStore(), encryptionKey: SECRET, expireAfterSeconds: 900, cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' } }));
  app.get('/', (c) => {
    const session = c.get('session');
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    return c.text(String(n));
  });
  await serveHono(app);
});
