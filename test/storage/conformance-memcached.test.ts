// The shared storage conformance suite against the memcached store (memjs), on the shared server, each
// store under a random key prefix. memcached keeps no subject index, so the metadata cases do not apply.
import { after, describe, it } from 'node:test';
import { memcachedStorage } from '../../src/storage/memcached.ts';
import { storageConformance } from '../../src/testing/index.ts';
import { memcachedSkipReason, memjsClient } from '../helpers/memcached.ts';
import { freePort } from '../helpers/redis.ts';

const skip = await memcachedSkipReason();

describe('memcached storage: conformance', { skip: skip ?? false, concurrency: true }, () => {
  const client = skip === undefined ? memjsClient() : undefined;
  after(() => client?.close());
  const suite = storageConformance({
    name: 'memcached',
    create: (prefix) => memcachedStorage({ client: client!, prefix }),
    createBroken: async () => memcachedStorage({ client: memjsClient(`127.0.0.1:${await freePort()}`), closeClient: true, timeout: 2000 }),
    reportsOldKeyLive: true,
  });
  for (const c of suite) it(c.name, { timeout: 20_000 }, c.run);
});
