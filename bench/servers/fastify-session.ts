/**
 * @fastify/session 11 (with @fastify/cookie 11, which it requires) in a Fastify 5 app: a signed session
 * id in the cookie, the data in the plugin's default in-memory store, saved when the reply is sent.
 */
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { main, SECRET } from './common.ts';
import { serveCounting } from './fastify-serve.ts';

main(async () => {
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, cookie: { secure: false }, saveUninitialized: false });
  await serveCounting(app);
});
