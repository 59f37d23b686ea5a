// PostgreSQL going away under a running application, through createSessionManager and the Fetch
// transport, against a throw-away cluster of our own (initdb in a temp dir, a free port): the shared
// server other tests use is never touched. The steps (stalled with SIGSTOP, killed with SIGKILL,
// restarted on the same data directory: crash recovery from the WAL) are in store-faults.ts.
import pg from 'pg';
import { createPostgresSchema, postgresStorage } from '../../src/storage/postgres.ts';
import { postgresServerSkipReason, startPostgresServer, type PostgresServer } from '../helpers/postgres.ts';
import { storeFaultSuite } from './store-faults.ts';

storeFaultSuite<PostgresServer>({
  title: 'postgres storage faults',
  name: 'postgres',
  skip: postgresServerSkipReason(),
  start: (again) => startPostgresServer(again === undefined ? {} : { port: again.port, dir: again.dir }),
  async connect(server) {
    const pool = new pg.Pool({ connectionString: server.url, max: 4, connectionTimeoutMillis: 500 });
    pool.on('error', () => {}); // idle connections dropping when the server dies
    await createPostgresSchema(pool);
    return postgresStorage({ client: pool, closeClient: true, timeout: 1000 });
  },
});
