/**
 * iron-session 8 on bare node:http: a sealed (encrypted and signed) cookie, re-sealed on every save.
 */
import { getIronSession } from 'iron-session';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const options = { password: SECRET, cookieName: 'session', cookieOptions: { secure: false } };
  await serve(async (req, res) => {
    const session = await getIronSession<{ n?: number }>(req, res, options);
    const n = (session.n ?? 0) + 1;
    session.n = n;
    await session.save();
    reply(res, n);
  });
});
