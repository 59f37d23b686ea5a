// PostgreSQL going away under a running application, through createSessionManager and the Fetch
// transport, against a throw-away cluster of our own (initdb in a temp dir, a free port): the shared
// server other tests use is never touched.
// - stalled (SIGSTOP to the whole server): calls end at the store's deadline with STORAGE_ERROR and no
//   Set-Cookie; resumed, the same cookie opens again;
// - killed (SIGKILL: a crash): a request with the cookie rejects fast, the cookie is kept, a save
//   rejects and writes no Set-Cookie;
// - restarted on the same port and data directory (crash recovery from the WAL): every session saved
//   before the crash opens with its data; nothing rejected unhandled.
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { createPostgresSchema, postgresStorage, type PostgresStorage } from '../../src/storage/postgres.ts';
import { postgresServerSkipReason, startPostgresServer, type PostgresServer } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/redis.ts';
import { SECRET, quiet } from '../helpers/session.ts';
import { faultSteps } from './store-faults.ts';

const skip = postgresServerSkipReason();

describe('postgres storage faults', { skip: skip ?? false, concurrency: 1 }, () => {
  let server: PostgresServer | undefined;
  let pool: pg.Pool;
  let storage: PostgresStorage;
  let manager: SessionManager;

  before(async () => {
    server = await startPostgresServer();
    pool = new pg.Pool({ connectionString: server.url, max: 4, connectionTimeoutMillis: 500 });
    pool.on('error', () => {}); // idle connections dropping when the server dies
    await createPostgresSchema(pool);
    storage = postgresStorage({ client: pool, closeClient: true, timeout: 600 });
    manager = createSessionManager({ secret: SECRET, storage, logger: quiet });
  }, { timeout: 120_000 });

  after(async () => {
    await storage?.close();
    await server?.stop();
  });

  faultSteps({
    name: 'postgres',
    manager: () => manager,
    server: () => server!,
    async restart() {
      server = await startPostgresServer({ port: server!.port, dir: server!.dir });
      // The pool drops the dead connections as they fail and opens new ones: wait until one works.
      await waitFor('the pool to reach the restarted server', async () => {
        await storage.get('session', 'A'.repeat(43), Date.now() / 1000);
        return true;
      }, 20_000);
    },
  });
});
