/**
 * httpsession, memory store: the cookie carries only the 110-character header; every save writes a new
 * record (a fresh session id) and shortens the old one to `staleTtl`.
 */
import { countingHandler, createSessionManager, memoryStorage } from './lib.ts';
import { main, SECRET, serve } from './common.ts';

main(async () => {
  const storage = memoryStorage();
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(countingHandler(sessions));
});
