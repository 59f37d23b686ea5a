/**
 * express-session with its MemoryStore, in an Express 5 app (its usual home: compare with the
 * `express-bare` case for Express's own share). The session is saved explicitly, as in every case.
 */
import { main, serveListening } from './common.ts';
import { listenCountingApp } from './express-counting.ts';

main(async () => {
  // The default store is the MemoryStore (it warns once that it is not meant for production: expected).
  await serveListening(await listenCountingApp(undefined));
});
