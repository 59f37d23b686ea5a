/**
 * express-session with connect-memcached 3 (over the `memcached` client), in an Express 5 app. Keys under
 * a prefix of its own (they expire by themselves).
 */
import connectMemcached from 'connect-memcached';
import session from 'express-session';
import { main, MEMCACHED_SERVERS, serveListening } from './common.ts';
import { listenCountingApp } from './express-counting.ts';

main(async () => {
  const MemcachedStore = connectMemcached(session);
  const store = new MemcachedStore({ hosts: MEMCACHED_SERVERS.split(','), prefix: `bench-connect-${process.pid}:` });
  await serveListening(await listenCountingApp(store), { info: {} });
});
