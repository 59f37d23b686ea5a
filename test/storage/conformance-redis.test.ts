// The shared storage conformance suite, run against the Redis store over every client flavour: node-redis
// and ioredis, each against a single server, a Cluster and a Sentinel setup. Real servers, no mocks.
//
// Clients are configured the way docs/storage/redis.md recommends (short connect timeout, no offline
// queue, bounded retries) and each has an 'error' listener. The backends run concurrently, and so do the
// cases of one backend (each case has its own random prefix), so the file takes about one suite's time.
import { after, before, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster, createSentinel } from 'redis';
import { redisStorage, type RedisClientLike } from '../../src/storage/redis.ts';
import { storageConformance } from '../../src/testing/index.ts';
import {
  freePort,
  redisServerSkipReason,
  redisSkipReason,
  ioredisTarget,
  redisUrl,
  startCluster,
  startSentinel,
  type RedisClusterServers,
  type SentinelServers,
} from '../helpers/redis.ts';

const noop = (): void => {};
const host = '127.0.0.1';
/** Retry every 50 ms, at most 500 ms apart: a restarted server is found again quickly. */
const retry = (attempt: number): number => Math.min(50 * (attempt + 1), 500);
const nodeSocket = { connectTimeout: 500, reconnectStrategy: retry };
const ioOptions = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: retry } as const;

/** How to get (and release) a connected client for one backend. */
interface Backend {
  readonly name: string;
  readonly skip: string | undefined;
  connect(): Promise<{ client: RedisClientLike; release(): Promise<void> }>;
  /** A client of the same flavour pointed at a port nothing listens on. */
  broken(port: number): RedisClientLike;
}

const sharedSkip = await redisSkipReason();
const serverSkip = redisServerSkipReason();

let cluster: Promise<RedisClusterServers> | undefined;
let sentinel: Promise<SentinelServers> | undefined;
// Started once, on first use, by whichever backend needs them; stopped in the top-level after().
const clusterServers = (): Promise<RedisClusterServers> => (cluster ??= startCluster());
const sentinelServers = (): Promise<SentinelServers> => (sentinel ??= startSentinel());

function nodeSingle(url: string) {
  const client = createClient({ url, disableOfflineQueue: true, socket: nodeSocket });
  client.on('error', noop);
  return client;
}

const backends: Backend[] = [
  {
    name: 'node-redis, single server',
    skip: sharedSkip,
    async connect() {
      const client = nodeSingle(redisUrl());
      await client.connect();
      return { client, release: () => client.close() };
    },
    broken(port) {
      const client = nodeSingle(`redis://${host}:${port}`);
      client.connect().catch(noop);
      return client;
    },
  },
  {
    name: 'ioredis, single server',
    skip: sharedSkip,
    async connect() {
      const client = new Redis({ ...ioredisTarget(), ...ioOptions });
      client.on('error', noop);
      await client.connect();
      return { client, release: async () => void (await client.quit()) };
    },
    broken(port) {
      const client = new Redis({ host, port, ...ioOptions });
      client.on('error', noop);
      client.connect().catch(noop);
      return client;
    },
  },
  {
    name: 'node-redis, cluster',
    skip: serverSkip,
    async connect() {
      const { ports } = await clusterServers();
      const client = createCluster({ rootNodes: ports.map((port) => ({ socket: { host, port } })), defaults: { disableOfflineQueue: true, socket: nodeSocket } });
      client.on('error', noop);
      await client.connect();
      return { client, release: () => client.close() };
    },
    broken(port) {
      const client = createCluster({
        rootNodes: [{ socket: { host, port } }],
        defaults: { disableOfflineQueue: true, socket: { ...nodeSocket, reconnectStrategy: false } },
      });
      client.on('error', noop);
      client.connect().catch(noop);
      return client;
    },
  },
  {
    name: 'ioredis, cluster',
    skip: serverSkip,
    async connect() {
      const { ports } = await clusterServers();
      const client = new Cluster(
        ports.map((port) => ({ host, port })),
        { lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: retry, redisOptions: { connectTimeout: 500, maxRetriesPerRequest: 1 } },
      );
      client.on('error', noop);
      await client.connect();
      return { client, release: async () => void (await client.quit()) };
    },
    broken(port) {
      const options = { lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: retry, redisOptions: { connectTimeout: 500 } };
      const client = new Cluster([{ host, port }], options);
      client.on('error', noop);
      client.connect().catch(noop);
      return client;
    },
  },
  {
    name: 'node-redis, sentinel',
    skip: serverSkip,
    async connect() {
      const servers = await sentinelServers();
      const client = nodeSentinel(servers.sentinel.port, 1);
      await client.connect();
      return { client, release: () => client.close() };
    },
    broken(port) {
      const client = nodeSentinel(port, 0);
      client.connect().catch(noop);
      return client;
    },
  },
  {
    name: 'ioredis, sentinel',
    skip: serverSkip,
    async connect() {
      const servers = await sentinelServers();
      const client = ioSentinel(servers.sentinel.port);
      await client.connect();
      return { client, release: async () => void (await client.quit()) };
    },
    broken(port) {
      const client = ioSentinel(port);
      client.connect().catch(noop);
      return client;
    },
  },
];

/**
 * node-redis Sentinel retries a failed command `maxCommandRediscovers` times (default 16) with a 1 s pause
 * each, so it needs a low value to fail fast (docs/storage/redis.md); 0 fails at the first error.
 */
function nodeSentinel(port: number, maxCommandRediscovers: number) {
  const client = createSentinel({
    name: 'mymaster',
    sentinelRootNodes: [{ host, port }],
    maxCommandRediscovers,
    nodeClientOptions: { disableOfflineQueue: true, socket: nodeSocket },
    sentinelClientOptions: { socket: nodeSocket },
  });
  client.on('error', noop);
  return client;
}

function ioSentinel(port: number): Redis {
  const client = new Redis({ sentinels: [{ host, port }], name: 'mymaster', ...ioOptions, sentinelRetryStrategy: () => null });
  client.on('error', noop);
  return client;
}

describe('redis storage: conformance', { concurrency: true }, () => {
  after(async () => {
    await Promise.all([cluster?.then((c) => c.stop(), noop), sentinel?.then((s) => s.stop(), noop)]);
  });

  for (const backend of backends) {
    describe(backend.name, { skip: backend.skip ?? false, concurrency: true }, () => {
      let connected: { client: RedisClientLike; release(): Promise<void> } | undefined;
      before(async () => {
        connected = await backend.connect();
      }, { timeout: 60_000 });
      after(async () => {
        await connected?.release().catch(noop);
      });
      const suite = storageConformance({
        name: 'redis',
        create: (prefix) => redisStorage({ client: connected!.client, prefix }),
        // The store owns the broken client (closeClient), so every case releases what it made.
        createBroken: async () => redisStorage({ client: backend.broken(await freePort()), closeClient: true }),
        reportsOldKeyLive: true,
      });
      for (const c of suite) it(c.name, { timeout: 15_000 }, c.run);
    });
  }
});
