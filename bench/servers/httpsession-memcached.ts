/**
 * httpsession, memcached store (memjs): the cookie carries only the header; every save writes a new item
 * and shortens the old one to `staleTtl`. Keys under a prefix of its own (they expire by themselves).
 */
import memjs from 'memjs';
import { countingHandler, createSessionManager, memcachedStorage } from './lib.ts';
import { main, MEMCACHED_SERVERS, SECRET, serve } from './common.ts';

main(async () => {
  const client = memjs.Client.create(MEMCACHED_SERVERS, { timeout: 2, retries: 1, logger: { log: () => {} } });
  const version = await new Promise<string>((resolve) => client.stats((_error, _server, stats) => resolve(stats?.version ?? 'unknown')));
  const storage = memcachedStorage({ client, prefix: `bench-${process.pid}` });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(countingHandler(sessions), {
    info: { memcached: version },
    async cleanup() {
      client.close();
    },
  });
});
