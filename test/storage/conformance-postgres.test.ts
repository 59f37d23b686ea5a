// The shared storage conformance suite against the PostgreSQL store, with both client libraries it
// accepts (pg and postgres/porsager), on the shared server. Each store gets tables of its own under a
// random name (other test runs use the same server), dropped at the end.
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { postgresStorage, type PostgresClientLike } from '../../src/storage/postgres.ts';
import { storageConformance } from '../../src/testing/index.ts';
import { postgresSkipReason, postgresUrl, Tables, testPool } from '../helpers/postgres.ts';
import { freePort } from '../helpers/redis.ts';

const skip = await postgresSkipReason();

const libraries: Array<{ name: string; connect(url: string): { client: PostgresClientLike; end(): Promise<void> } }> = [
  {
    name: 'pg Pool',
    connect(url) {
      const pool = testPool(url);
      return { client: pool, end: () => pool.end() };
    },
  },
  {
    name: 'postgres (porsager)',
    connect(url) {
      const sql = postgres(url, { max: 4, connect_timeout: 2, onnotice: () => {} });
      return { client: sql, end: () => sql.end({ timeout: 1 }) };
    },
  },
];

describe('postgres storage: conformance', { skip: skip ?? false, concurrency: true }, () => {
  const admin = skip === undefined ? testPool() : undefined;
  const tables = new Tables();
  after(async () => {
    if (admin === undefined) return;
    await tables.dropAll(admin);
    await admin.end();
  });

  for (const library of libraries) {
    describe(library.name, { concurrency: true }, () => {
      let connected: ReturnType<(typeof library)['connect']> | undefined;
      before(() => {
        connected = library.connect(postgresUrl());
      });
      after(async () => {
        await connected?.end();
      });
      const suite = storageConformance({
        name: 'postgres',
        create: async () => postgresStorage({ client: connected!.client, ...(await tables.make(admin!)) }),
        // A pool pointed at a port nothing listens on; the store owns it (closeClient).
        createBroken: async () => {
          const broken = library.connect(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
          return postgresStorage({ client: broken.client, closeClient: true, timeout: 2000 });
        },
        reportsOldKeyLive: true,
      });
      for (const c of suite) it(c.name, { timeout: 20_000 }, c.run);
    });
  }
});
