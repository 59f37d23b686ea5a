/**
 * The library under test, for the httpsession servers. `npm run bench` builds the package first and sets
 * `BENCH_LIB=dist`, so the servers run the compiled JavaScript users install, as the peers do; without it
 * (the smoke test, a server started by hand) they run the sources through tsx, which needs no build.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Core from '../../src/index.ts';
import type * as Express from '../../src/adapters/express.ts';
import type * as Koa from '../../src/adapters/koa.ts';
import type * as File from '../../src/storage/file.ts';
import type * as Memory from '../../src/storage/memory.ts';
import type * as Memcached from '../../src/storage/memcached.ts';
import type * as Mysql from '../../src/storage/mysql.ts';
import type * as Postgres from '../../src/storage/postgres.ts';
import type * as Redis from '../../src/storage/redis.ts';
import { reply } from './common.ts';

const built = process.env.BENCH_LIB === 'dist';
const from = <T>(dist: string, src: string): Promise<T> => import(built ? dist : src) as Promise<T>;

export const { createSessionManager } = await from<typeof Core>('../../dist/index.js', '../../src/index.ts');
export const { fileStorage } = await from<typeof File>('../../dist/storage/file.js', '../../src/storage/file.ts');
export const { memoryStorage } = await from<typeof Memory>('../../dist/storage/memory.js', '../../src/storage/memory.ts');
export const { redisStorage } = await from<typeof Redis>('../../dist/storage/redis.js', '../../src/storage/redis.ts');
export const { memcachedStorage } = await from<typeof Memcached>('../../dist/storage/memcached.js', '../../src/storage/memcached.ts');
export const { mysqlStorage, createMysqlSchema } = await from<typeof Mysql>('../../dist/storage/mysql.js', '../../src/storage/mysql.ts');
export const { postgresStorage, createPostgresSchema } = await from<typeof Postgres>('../../dist/storage/postgres.js', '../../src/storage/postgres.ts');
export const { expressSession } = await from<typeof Express>('../../dist/adapters/express.js', '../../src/adapters/express.ts');
export const { koaSession } = await from<typeof Koa>('../../dist/adapters/koa.js', '../../src/adapters/koa.ts');

/** The part of a session manager the counting handler uses. */
interface Manager {
  start(req: IncomingMessage, res: ServerResponse): Promise<{ get(name: 'n'): number | undefined; set(name: 'n', value: number): unknown; save(): Promise<void> }>;
}

/**
 * The work every httpsession case that writes does per request: open, increment the counter, save, reply.
 * @param sessions - the case's manager (cookie, memory, file or Redis storage)
 * @returns the request handler for `serve` (common.ts)
 */
export function countingHandler(sessions: Manager): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const session = await sessions.start(req, res);
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    await session.save();
    reply(res, n);
  };
}

/**
 * A framework adapter of the library under test, from the build or the sources like the rest of this
 * module; imported by the one server that needs it, so the other cases never load a framework.
 * @param name - the adapter's file in src/adapters/, e.g. `'fastify'`
 */
export function adapter<T>(name: string): Promise<T> {
  return from<T>(`../../dist/adapters/${name}.js`, `../../src/adapters/${name}.ts`);
}
