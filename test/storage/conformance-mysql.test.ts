// The shared storage conformance suite against the MySQL/MariaDB store, with mysql2's promise pool and
// its callback pool, on the shared server. Each store gets tables of its own under a random name, dropped
// at the end.
import { after, describe, it } from 'node:test';
import mysqlCallback from 'mysql2';
import { mysqlStorage, type MysqlClientLike } from '../../src/storage/mysql.ts';
import { storageConformance } from '../../src/testing/index.ts';
import { MysqlTables, mysqlPool, mysqlSkipReason, mysqlUrl } from '../helpers/mysql.ts';
import { freePort } from '../helpers/redis.ts';

const skip = await mysqlSkipReason();

const libraries: Array<{ name: string; connect(url: string): { client: MysqlClientLike; end(): Promise<void> } }> = [
  {
    name: 'mysql2/promise pool',
    connect(url) {
      const pool = mysqlPool(url);
      return { client: pool, end: () => pool.end() };
    },
  },
  {
    name: 'mysql2 callback pool',
    connect(url) {
      const pool = mysqlCallback.createPool({ uri: url, connectionLimit: 4, connectTimeout: 2000 });
      return { client: pool, end: () => new Promise<void>((resolve) => pool.end(() => resolve())) };
    },
  },
];

describe('mysql storage: conformance', { skip: skip ?? false, concurrency: true }, () => {
  const admin = skip === undefined ? mysqlPool() : undefined;
  const tables = new MysqlTables();
  after(async () => {
    if (admin === undefined) return;
    await tables.dropAll(admin);
    await admin.end();
  });

  for (const library of libraries) {
    describe(library.name, { concurrency: true }, () => {
      const connected = skip === undefined ? library.connect(mysqlUrl()) : undefined;
      after(async () => {
        await connected?.end();
      });
      const suite = storageConformance({
        name: 'mysql',
        create: async () => mysqlStorage({ client: connected!.client, ...(await tables.make(admin!)) }),
        createBroken: async () => {
          const broken = library.connect(`mysql://root@127.0.0.1:${await freePort()}/test`);
          return mysqlStorage({ client: broken.client, closeClient: true, timeout: 2000 });
        },
        reportsOldKeyLive: true,
      });
      for (const c of suite) it(c.name, { timeout: 20_000 }, c.run);
    });
  }
});
