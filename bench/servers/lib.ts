/**
 * The library under test, for the httpsession servers. `npm run bench` builds the package first and sets
 * `BENCH_LIB=dist`, so the servers run the compiled JavaScript users install, as the peers do; without it
 * (the smoke test, a server started by hand) they run the sources through tsx, which needs no build.
 *
 * @module
 */
import type * as Core from '../../src/index.ts';
import type * as File from '../../src/storage/file.ts';
import type * as Memory from '../../src/storage/memory.ts';
import type * as Redis from '../../src/storage/redis.ts';

const built = process.env.BENCH_LIB === 'dist';
const from = <T>(dist: string, src: string): Promise<T> => import(built ? dist : src) as Promise<T>;

export const { createSessionManager } = await from<typeof Core>('../../dist/index.js', '../../src/index.ts');
export const { fileStorage } = await from<typeof File>('../../dist/storage/file.js', '../../src/storage/file.ts');
export const { memoryStorage } = await from<typeof Memory>('../../dist/storage/memory.js', '../../src/storage/memory.ts');
export const { redisStorage } = await from<typeof Redis>('../../dist/storage/redis.js', '../../src/storage/redis.ts');
