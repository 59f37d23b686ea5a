/**
 * httpsession's Fastify plugin (`httpsession/fastify`), cookie storage, in a Fastify 5 app: compare with
 * `fastify-bare` and the two Fastify session plugins. The handler never saves: the plugin commits the
 * changed session in `onSend`.
 */
import Fastify from 'fastify';
import type * as FastifyAdapter from '../../src/adapters/fastify.ts';
import { main, SECRET } from './common.ts';
import { serveCounting } from './fastify-serve.ts';
import { adapter } from './lib.ts';

main(async () => {
  const { fastifySession } = await adapter<typeof FastifyAdapter>('fastify');
  const app = Fastify({ logger: false });
  await app.register(fastifySession as never, { secret: SECRET, crypto: 'node' });
  await serveCounting(app);
});
