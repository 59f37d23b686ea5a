/**
 * The HTTP cases, in the order every round runs them. Each names its server file in `servers/`.
 *
 * @module
 */

/** Who a case measures, for the report's grouping and the chart's colours. */
export type CaseGroup = 'limit' | 'httpsession' | 'peer' | 'framework';

/** One HTTP case. */
export interface HttpCase {
  /** The server file in `servers/`, without `.ts`; also the case's id. */
  readonly id: string;
  /** The label in tables and the chart. */
  readonly label: string;
  readonly group: CaseGroup;
  /** How the counter moves per request on one client: 1 (saved every request), 0 (read-only), none (no session). */
  readonly step: 1 | 0 | undefined;
  /** One line on what the case does, for the report. */
  readonly note: string;
  /**
   * Run this case's rounds after every other case's: it leaves the machine busy for a while (the file
   * store's disk writes), which must not fall on a case compared with another.
   */
  readonly afterRounds?: boolean;
  /** The path the load generator requests; default `/`. */
  readonly path?: string;
  /** The server serves the bench's Next.js app (bench/next-app.ts): the harness builds it once per run first. */
  readonly nextApp?: boolean;
}

/**
 * Every case, in the order they run in each round. `bare` comes first, as the rest is reported relative
 * to it. The two Redis cases run back to back, on the same Redis in the same state. The file store runs
 * its rounds after all the others (`afterRounds`): its directory grows round after round, and the disk
 * work it leaves behind must not fall on a case compared with another (the harness also syncs and pauses
 * after every case).
 */
export const HTTP_CASES: readonly HttpCase[] = [
  { id: 'bare', label: 'bare node:http (no session)', group: 'limit', step: undefined, note: 'the limit: replies a process-wide counter' },
  { id: 'httpsession-cookie', label: 'httpsession, cookie storage', group: 'httpsession', step: 1, note: 'open, increment, save: a newly sealed cookie on every response' },
  { id: 'httpsession-readonly', label: 'httpsession, read-only', group: 'httpsession', step: 0, note: '`start()` (open + refresh, nothing due) and reply; no Set-Cookie' },
  { id: 'httpsession-memory', label: 'httpsession, memory store', group: 'httpsession', step: 1, note: 'cookie holds the header; a new record per save, the old one kept `staleTtl`' },
  { id: 'httpsession-redis', label: 'httpsession, Redis store', group: 'httpsession', step: 1, note: 'node-redis 5; a new record per save, the old one shortened to `staleTtl`' },
  { id: 'express-session-redis', label: 'express-session + connect-redis', group: 'peer', step: 1, note: 'in Express 5; connect-redis 9 over node-redis 5' },
  { id: 'httpsession-postgres', label: 'httpsession, PostgreSQL store', group: 'httpsession', step: 1, note: 'pg 8 Pool; a new row per save, the old one shortened to `staleTtl`, one statement' },
  { id: 'express-session-postgres', label: 'express-session + connect-pg-simple', group: 'peer', step: 1, note: 'in Express 5; connect-pg-simple 10 over pg 8' },
  { id: 'httpsession-mysql', label: 'httpsession, MySQL/MariaDB store', group: 'httpsession', step: 1, note: 'mysql2 3 promise pool; a new row per save, then the old one shortened to `staleTtl`' },
  { id: 'express-session-mysql', label: 'express-session + express-mysql-session', group: 'peer', step: 1, note: 'in Express 5; express-mysql-session 3 over mysql2 3' },
  { id: 'httpsession-memcached', label: 'httpsession, memcached store', group: 'httpsession', step: 1, note: 'memjs 1.3; a new item per save, the old one touched to `staleTtl`' },
  { id: 'express-session-memcached', label: 'express-session + connect-memcached', group: 'peer', step: 1, note: 'in Express 5; connect-memcached 3 over memcached 2' },
  { id: 'express-session-memory', label: 'express-session, MemoryStore', group: 'peer', step: 1, note: 'in Express 5; explicit `req.session.save()`' },
  { id: 'iron-session', label: 'iron-session', group: 'peer', step: 1, note: 'on node:http; re-sealed on every save' },
  { id: 'cookie-session', label: 'cookie-session', group: 'peer', step: 1, note: 'on node:http; signed, not encrypted (two cookies)' },
  { id: 'fastify-secure-session', label: '@fastify/secure-session', group: 'peer', step: 1, note: 'in Fastify 5; libsodium secretbox, raw 32-byte key' },
  { id: 'express-bare', label: 'Express 5 (no session)', group: 'framework', step: undefined, note: 'the framework alone, to read the express-session rows against' },
  { id: 'express-httpsession', label: 'httpsession/express, cookie storage', group: 'httpsession', step: 1, note: 'in Express 5; the adapter commits as the response ends, no save call' },
  { id: 'express-httpsession-memory', label: 'httpsession/express, memory store', group: 'httpsession', step: 1, note: 'in Express 5; `res.end` waits for the store commit' },
  { id: 'koa-bare', label: 'Koa 3 (no session)', group: 'framework', step: undefined, note: 'the framework alone, to read the Koa session rows against' },
  { id: 'koa-session', label: 'koa-session', group: 'peer', step: 1, note: 'in Koa 3; signed JSON cookie (two cookies), auto-commit' },
  { id: 'koa-httpsession', label: 'httpsession/koa, cookie storage', group: 'httpsession', step: 1, note: 'in Koa 3; the adapter commits after the handler, no save call' },
  { id: 'fastify-session', label: '@fastify/session', group: 'peer', step: 1, note: 'in Fastify 5, with @fastify/cookie; signed id cookie, default in-memory store' },
  { id: 'fastify-httpsession', label: 'httpsession/fastify, cookie storage', group: 'httpsession', step: 1, note: 'the Fastify plugin; committed in onSend, no save() call' },
  { id: 'fastify-bare', label: 'Fastify 5 (no session)', group: 'framework', step: undefined, note: 'the framework alone, to read the Fastify session rows against' },
  { id: 'hono-sessions', label: 'hono-sessions', group: 'peer', step: 1, note: 'in Hono 4 on @hono/node-server; CookieStore (iron-webcrypto), re-sealed every response' },
  { id: 'hono-session', label: '@hono/session', group: 'peer', step: 1, note: 'in Hono 4 on @hono/node-server; JWE cookie (jose A256GCM)' },
  { id: 'hono-httpsession', label: 'httpsession/hono, cookie storage', group: 'httpsession', step: 1, note: 'the Hono middleware; committed after the handler, no save() call' },
  { id: 'hono-bare', label: 'Hono 4 (no session)', group: 'framework', step: undefined, note: 'the framework alone on @hono/node-server, to read the Hono session rows against' },
  { id: 'h3-session', label: 'h3 useSession', group: 'peer', step: 1, note: "in h3 1.x on node:http; h3's own session: iron-webcrypto sealed cookie, re-sealed by every `update()`" },
  { id: 'h3-httpsession', label: 'httpsession/h3, cookie storage', group: 'httpsession', step: 1, note: 'the h3 app hooks (`h3Session`), `useHttpSession` in the handler; committed in `onBeforeResponse`, no save() call' },
  { id: 'h3-bare', label: 'h3 1.x (no session)', group: 'framework', step: undefined, note: 'the framework alone on node:http (`toNodeListener`), to read the h3 session rows against' },
  { id: 'next-iron-session', label: 'iron-session in Next.js', group: 'peer', step: 1, note: 'Next.js 15 App Router Route Handler (`next build`, served as `next start` does); iron-session 8 over `cookies()`', path: '/iron-session', nextApp: true },
  { id: 'next-httpsession', label: 'httpsession/next, cookie storage', group: 'httpsession', step: 1, note: 'Next.js 15 Route Handler wrapped by `route()`; committed onto its response, no save() call', path: '/httpsession', nextApp: true },
  { id: 'next-bare', label: 'Next.js 15 (no session)', group: 'framework', step: undefined, note: 'a Route Handler replying a process-wide counter, to read the Next session rows against', path: '/bare', nextApp: true },
  { id: 'httpsession-file', label: 'httpsession, file store', group: 'httpsession', step: 1, note: 'one file per record in a temp directory: temp file + rename per save; its rounds run after all the others', afterRounds: true },
];
