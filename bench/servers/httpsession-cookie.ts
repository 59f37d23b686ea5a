/**
 * httpsession, cookie storage (the default): every request opens the cookie, increments the counter and
 * saves, so every response carries a freshly sealed cookie.
 */
import { createSessionManager } from './lib.ts';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node' });
  await serve(async (req, res) => {
    const session = await sessions.start(req, res);
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    await session.save();
    reply(res, n);
  });
});
