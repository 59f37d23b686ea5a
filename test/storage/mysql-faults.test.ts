// MariaDB going away under a running application, through createSessionManager and the Fetch transport,
// against a throw-away mariadbd of our own (an empty data directory, a free port): the shared server other
// tests use is never touched. The steps (stalled, killed, restarted on the same data: InnoDB crash
// recovery) are in store-faults.ts.
import { createMysqlSchema, mysqlStorage } from '../../src/storage/mysql.ts';
import { mariadbServerSkipReason, mysqlPool, startMariadbServer, type MariadbServer } from '../helpers/mysql.ts';
import { storeFaultSuite } from './store-faults.ts';

storeFaultSuite<MariadbServer>({
  title: 'mysql storage faults (MariaDB)',
  name: 'mysql',
  skip: mariadbServerSkipReason(),
  start: (again) => startMariadbServer(again === undefined ? {} : { port: again.port, dir: again.dir }),
  async connect(server) {
    const pool = mysqlPool(server.url);
    await createMysqlSchema(pool);
    return mysqlStorage({ client: pool, closeClient: true, timeout: 1000 });
  },
});
