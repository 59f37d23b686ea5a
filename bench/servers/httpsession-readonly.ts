/**
 * httpsession, read-only: `start()` (open + refresh: verify, decrypt, nothing due so nothing sent) and
 * reply. A client's first request has no session yet, so that one request saves a counter of 0.
 */
import { createSessionManager } from './lib.ts';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node' });
  await serve(async (req, res) => {
    const session = await sessions.start(req, res);
    let n = session.get('n');
    if (n === undefined) {
      n = 0;
      session.set('n', n);
      await session.save();
    }
    reply(res, n);
  });
});
