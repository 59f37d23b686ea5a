/**
 * httpsession, Redis store (node-redis v5): the cookie carries only the header; every save writes a new
 * record and shortens the old one to `staleTtl`, as lua-resty-session does.
 */
import { createClient } from 'redis';
import { countingHandler, createSessionManager, redisStorage } from './lib.ts';
import { deleteBenchKeys, main, REDIS_PREFIX, REDIS_URL, SECRET, serve } from './common.ts';

main(async () => {
  const client = createClient({ url: REDIS_URL, disableOfflineQueue: true });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await client.connect();
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  const storage = redisStorage({ client, prefix: REDIS_PREFIX });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(
    countingHandler(sessions),
    {
      info: { redis: version },
      async cleanup() {
        await deleteBenchKeys(client);
        await client.close();
      },
    },
  );
});
