/**
 * Fastify 5 with no session: what the framework alone costs, to read the secure-session case against.
 */
import Fastify from 'fastify';
import { main, serveListening } from './common.ts';

main(async () => {
  let n = 0;
  const app = Fastify({ logger: false });
  app.get('/', async (_request, reply) => {
    reply.type('text/plain');
    return String(++n);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await serveListening(app.server, {}, () => app.close());
});
