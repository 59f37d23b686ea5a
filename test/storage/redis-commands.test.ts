// What each call of the Redis store sends, as the server itself records it: counts from INFO commandstats
// and the exact sequence from the slow log (every command logged), on a private redis-server so that no
// other client's commands are counted. A save that replaces a record is SET then EXPIRE ... LT, each its
// own round trip; EXISTS follows only when EXPIRE answers 0. Also the TTLs that leaves. Real servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStorage, type RedisClientLike, type RedisStorage } from '../../src/storage/redis.ts';
import { command, commandStats, redisServerSkipReason, startRedisServer, type RedisServer } from '../helpers/redis.ts';

const skip = redisServerSkipReason();
const noop = (): void => {};
const now = (): number => Math.floor(Date.now() / 1000);
const randomKey = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
const NS = 'session';
const meta = { audiences: ['c2hvcA'], subjects: ['YWxpY2U'] };

describe('redis storage: commands per call', { skip: skip ?? false, concurrency: 1 }, () => {
  let server: RedisServer | undefined;
  /** node-redis, then ioredis. */
  const clients: Array<{ client: RedisClientLike; close(): Promise<unknown> }> = [];
  const redis = (...args: string[]): Promise<unknown> => command(server!.port, args);

  before(async () => {
    server = await startRedisServer(['--slowlog-log-slower-than', '0', '--slowlog-max-len', '1000']);
    const node = createClient({ url: server.url, disableOfflineQueue: true });
    node.on('error', noop);
    await node.connect();
    const io = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false });
    io.on('error', noop);
    await io.connect();
    clients.push({ client: node, close: () => node.close() }, { client: io, close: () => io.quit() });
  }, { timeout: 30_000 });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(noop)));
    await server?.stop();
  });

  /** Runs `fn` and returns what the server received meanwhile: calls per command, and each command's name and arguments in order. */
  async function sent(fn: () => Promise<unknown>): Promise<{ counts: Record<string, number>; sequence: string[][] }> {
    await redis('CONFIG', 'RESETSTAT');
    await redis('SLOWLOG', 'RESET');
    await fn();
    const counts = Object.fromEntries(await commandStats(server!.port, ['info', 'config', 'slowlog']));
    const log = (await redis('SLOWLOG', 'GET', '1000')) as Array<[number, number, number, string[]]>;
    const sequence = log
      .map((entry) => entry[3])
      .filter((args) => !['CONFIG', 'SLOWLOG', 'INFO'].includes(args[0]!.toUpperCase()))
      .reverse();
    return { counts, sequence };
  }

  for (const [flavour, label] of ['node-redis', 'ioredis'].entries()) {
    /** A store with a fresh prefix `p` over this flavour's client. */
    const store = (): { s: RedisStorage; p: string } => {
      const p = `t${randomKey().slice(0, 8).replace(/[-_]/g, 'x')}`;
      return { s: redisStorage({ client: clients[flavour]!.client, prefix: p }), p };
    };

    it(`${label}: a save replacing a live record sends exactly SET, then EXPIRE ... LT`, async () => {
      const { s, p } = store();
      const [old, fresh] = [randomKey(), randomKey()];
      await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 600, now: now() });
      let result: unknown;
      const { counts, sequence } = await sent(async () => {
        result = await s.set({ namespace: NS, key: fresh, value: '["new"]', ttl: 600, now: now(), oldKey: old, staleTtl: 10 });
      });
      assert.deepEqual(result, { oldKeyLive: true });
      assert.deepEqual(counts, { set: 1, expire: 1 });
      assert.deepEqual(sequence, [
        ['SET', `${p}:${NS}:${fresh}`, '["new"]', 'EX', '600'],
        ['EXPIRE', `${p}:${NS}:${old}`, '10', 'LT'],
      ]);
      const left = Number(await redis('TTL', `${p}:${NS}:${old}`));
      assert.ok(left > 0 && left <= 10, `old record TTL ${left}`);
      assert.ok(Number(await redis('TTL', `${p}:${NS}:${fresh}`)) > 590);
    });

    it(`${label}: EXISTS follows only when EXPIRE ... LT answers 0: a record already shortened (live), or gone`, async () => {
      const { s, p } = store();
      const old = randomKey();
      await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 600, now: now() });
      await s.set({ namespace: NS, key: randomKey(), value: '["1"]', ttl: 600, now: now(), oldKey: old, staleTtl: 10 });
      // A second request with the same cookie, and a longer stale TTL: nothing is extended, the record is live.
      let result: unknown;
      const again = await sent(async () => {
        result = await s.set({ namespace: NS, key: randomKey(), value: '["2"]', ttl: 600, now: now(), oldKey: old, staleTtl: 30 });
      });
      assert.deepEqual(result, { oldKeyLive: true });
      assert.deepEqual(again.counts, { set: 1, expire: 1, exists: 1 });
      assert.deepEqual(again.sequence.slice(1), [['EXPIRE', `${p}:${NS}:${old}`, '30', 'LT'], ['EXISTS', `${p}:${NS}:${old}`]]);
      const left = Number(await redis('TTL', `${p}:${NS}:${old}`));
      assert.ok(left > 0 && left <= 10, `the old record was not extended: TTL ${left}`);
      await s.delete(NS, old, now());
      const gone = await sent(async () => {
        result = await s.set({ namespace: NS, key: randomKey(), value: '["3"]', ttl: 600, now: now(), oldKey: old, staleTtl: 10 });
      });
      assert.deepEqual(result, { oldKeyLive: false });
      assert.deepEqual(gone.counts, { set: 1, expire: 1, exists: 1 });
      assert.equal(await redis('EXISTS', `${p}:${NS}:${old}`), 0, 'nothing brought the deleted record back');
    });

    it(`${label}: a save without oldKey, or onto its own key, is SET alone; a read is GET alone`, async () => {
      const { s } = store();
      const key = randomKey();
      let results: unknown[] = [];
      const { counts } = await sent(async () => {
        results = [
          await s.set({ namespace: NS, key, value: '["a"]', ttl: 60, now: now() }),
          await s.set({ namespace: NS, key, value: '["b"]', ttl: 60, now: now(), oldKey: key, staleTtl: 1 }),
          await s.get(NS, key, now()),
        ];
      });
      assert.deepEqual(results, [undefined, undefined, '["b"]']);
      assert.deepEqual(counts, { set: 2, get: 1 });
    });

    it(`${label}: a replaced record without a TTL is shortened to the stale TTL`, async () => {
      const { s, p } = store();
      const old = randomKey();
      await redis('SET', `${p}:${NS}:${old}`, '["forever"]');
      const result = await s.set({ namespace: NS, key: randomKey(), value: '["new"]', ttl: 60, now: now(), oldKey: old, staleTtl: 5 });
      assert.deepEqual(result, { oldKeyLive: true });
      const left = Number(await redis('TTL', `${p}:${NS}:${old}`));
      assert.ok(left > 0 && left <= 5, `old record TTL ${left}`);
    });

    it(`${label}: with metadata, the old record and the index are updated after the SET`, async () => {
      const { s, p } = store();
      const [old, fresh] = [randomKey(), randomKey()];
      await s.set({ namespace: NS, key: old, value: '["old"]', ttl: 600, now: now(), metadata: meta });
      let result: unknown;
      const { counts, sequence } = await sent(async () => {
        result = await s.set({ namespace: NS, key: fresh, value: '["new"]', ttl: 600, now: now(), oldKey: old, staleTtl: 10, metadata: meta });
      });
      assert.deepEqual(result, { oldKeyLive: true });
      // EXPIRE: the old record (LT), then the index (NX, GT).
      assert.deepEqual(counts, { set: 1, expire: 3, zremrangebyscore: 1, zadd: 1, zrem: 1 });
      assert.deepEqual(sequence[0]!.slice(0, 2), ['SET', `${p}:${NS}:${fresh}`]);
      const index = `${p}:${NS}:${meta.audiences[0]}:${meta.subjects[0]}`;
      assert.deepEqual(sequence.slice(-2).map((args) => args.join(' ')).sort(), [`EXPIRE ${index} 600 GT`, `EXPIRE ${index} 600 NX`]);
      const listed = await s.readMetadata(NS, meta.audiences[0]!, meta.subjects[0]!, now());
      assert.deepEqual([...listed.keys()], [fresh]);
    });
  }
});
