/**
 * @fastify/secure-session 8 in a Fastify 5 app (its only home: compare with `fastify-bare`). The key is
 * given raw (32 bytes) so no password hashing happens at startup; the session is sealed with libsodium's
 * secretbox when the reply is sent.
 */
import secureSession from '@fastify/secure-session';
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import { main, SECRET } from './common.ts';
import { serveCounting } from './fastify-serve.ts';

main(async () => {
  const app = Fastify({ logger: false });
  const key = createHash('sha256').update(SECRET).digest();
  await app.register(secureSession, { key, cookie: { path: '/', httpOnly: true } });
  await serveCounting(app);
});
