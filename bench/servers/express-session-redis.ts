/**
 * express-session with connect-redis 9 (node-redis v5), in an Express 5 app.
 */
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { deleteBenchKeys, main, REDIS_PREFIX, REDIS_URL, serveListening } from './common.ts';
import { listenCountingApp } from './express-counting.ts';

main(async () => {
  const client = createClient({ url: REDIS_URL, disableOfflineQueue: true });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await client.connect();
  const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  const store = new RedisStore({ client, prefix: `${REDIS_PREFIX}-sess:` });
  await serveListening(await listenCountingApp(store), {
    info: { redis: version },
    async cleanup() {
      await deleteBenchKeys(client);
      await client.close();
    },
  });
});
