/**
 * The fixture app's sessions: one manager on cookie storage (what most Next.js apps use), and one on a
 * Redis server that the test stops to see the outage path. The counter is kept in the session.
 */
import { cookies, headers } from 'next/headers.js';
import { Redis } from 'ioredis';
import { nextSessions } from 'httpsession/next';
import { createSessionManager, type InvalidCookie } from 'httpsession';
import { redisStorage } from 'httpsession/storage/redis';

/** The shape of this app's session data: it reaches the handlers typed, without casts. */
export interface AppData extends Record<string, unknown> {
  count: number;
  user: string;
  notice: string;
}

export const SECRET = process.env.TEST_SESSION_SECRET ?? 'next-fixture-secret-that-is-32-chars+';

/** The reasons of the invalid cookies this process saw, for /api/peek to report. */
export const invalid: InvalidCookie['reason'][] = [];

export const sessions = createSessionManager<AppData>({
  secret: SECRET,
  audience: 'shop',
  cookie: { secure: false },
  onInvalid: (event) => void invalid.push(event.reason),
});

export const session = nextSessions(sessions, { cookies, headers });

const outagePort = Number(process.env.OUTAGE_REDIS_PORT ?? 0);
let outage: ReturnType<typeof nextSessions<AppData>> | undefined;

/** The helpers over the Redis-backed manager (lazily: only the outage route uses it). */
export function outageSessions(): ReturnType<typeof nextSessions<AppData>> {
  if (outage === undefined) {
    const client = new Redis({ host: '127.0.0.1', port: outagePort, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    client.on('error', () => {}); // reported through the store's typed errors
    const manager = createSessionManager<AppData>({ secret: SECRET, cookie: { secure: false, name: 'outage' }, storage: redisStorage({ client, timeout: 1000 }) });
    outage = nextSessions(manager);
  }
  return outage;
}
