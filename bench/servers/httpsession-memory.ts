/**
 * httpsession, memory store: the cookie carries only the 110-character header; every save writes a new
 * record (a fresh session id) and shortens the old one to `staleTtl`.
 */
import { createSessionManager, memoryStorage } from './lib.ts';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const storage = memoryStorage();
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(async (req, res) => {
    const session = await sessions.start(req, res);
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    await session.save();
    reply(res, n);
  });
});
