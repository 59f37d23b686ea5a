// memcached going away under a running application, through createSessionManager and the Fetch transport,
// against a throw-away memcached of our own (a free port): the shared server other tests use is never
// touched. The steps are in store-faults.ts. memcached keeps its items in memory only, so after a crash
// and restart the sessions are gone (durable: false): the last step checks that the store reconnects.
import { memcachedStorage } from '../../src/storage/memcached.ts';
import { memcachedServerSkipReason, memjsClient, startMemcachedServer, type MemcachedServer } from '../helpers/memcached.ts';
import { storeFaultSuite } from './store-faults.ts';

storeFaultSuite<MemcachedServer>({
  title: 'memcached storage faults',
  name: 'memcached',
  skip: memcachedServerSkipReason(),
  durable: false,
  start: (again) => startMemcachedServer(again === undefined ? {} : { port: again.port, dir: again.dir }),
  connect: async (server) => memcachedStorage({ client: memjsClient(server.servers), closeClient: true, timeout: 1000 }),
});
