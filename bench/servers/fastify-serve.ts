/**
 * What the Fastify session servers share: the counting route (read `n`, increment, set, reply) over a
 * session shape each plugin provides, and listening. The plugins' own `request.session` types are not
 * used (see peers.d.ts): each server says how to reach its session.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serveListening } from './common.ts';

/** The part of a plugin's session the counting route uses. */
export interface CountingSession {
  get(key: 'n'): number | undefined;
  set(key: 'n', value: number): unknown;
}

/** The plugins put their session on `request.session`. */
const sessionOf = (request: FastifyRequest): CountingSession => (request as unknown as { session: CountingSession }).session;

/**
 * Adds the counting route, listens on 127.0.0.1 and an ephemeral port, and reports to the harness.
 * @param app - a Fastify app with a session plugin registered
 */
export async function serveCounting(app: FastifyInstance): Promise<void> {
  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    reply.type('text/plain');
    return String(n);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await serveListening(app.server, {}, () => app.close());
}
