/**
 * @fastify/secure-session 8 in a Fastify 5 app (its only home: compare with `fastify-bare`). The key is
 * given raw (32 bytes) so no password hashing happens at startup; the session is sealed with libsodium's
 * secretbox when the reply is sent.
 */
import secureSession from '@fastify/secure-session';
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { main, SECRET, serveListening } from './common.ts';

main(async () => {
  const app = Fastify({ logger: false });
  const key = createHash('sha256').update(SECRET).digest();
  await app.register(secureSession, { key, cookie: { path: '/', httpOnly: true } });
  app.get('/', async (request, reply) => {
    const n = ((request.session.get('n') as number | undefined) ?? 0) + 1;
    request.session.set('n', n);
    reply.type('text/plain');
    return String(n);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await serveListening(app.server, {}, () => app.close());
});
