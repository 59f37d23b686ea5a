/**
 * httpsession, cookie storage (the default): every request opens the cookie, increments the counter and
 * saves, so every response carries a freshly sealed cookie.
 */
import { countingHandler, createSessionManager } from './lib.ts';
import { main, SECRET, serve } from './common.ts';

main(async () => {
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node' });
  await serve(countingHandler(sessions));
});
