// What the conformance suite does not pin down about the Redis store: option checks, close() and
// closeClient, the exact TTLs it leaves in Redis (a re-save onto its own key, an index that only grows,
// fractional TTLs), RESP3 replies, and messages that never echo a key. Against REDIS_URL, real clients.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { isSessionError } from '../../src/errors.ts';
import { redisStorage, type RedisClientLike } from '../../src/storage/redis.ts';
import { command, ioredisTarget, redisSkipReason, redisTarget, redisUrl } from '../helpers/redis.ts';

const skip = await redisSkipReason();
const noop = (): void => {};
const redis = (...args: string[]): Promise<unknown> => command(redisTarget(), args);
const now = (): number => Math.floor(Date.now() / 1000);
const randomKey = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
const prefix = (): string => `t${randomKey().slice(0, 8).replace(/[-_]/g, 'x')}`;
const meta = { audiences: ['c2hvcA'], subjects: ['YWxpY2U'] };

function nodeClient(options: { RESP?: 3 } = {}) {
  const client = createClient({ url: redisUrl(), disableOfflineQueue: true, ...options });
  client.on('error', noop);
  return client;
}

function ioClient(): Redis {
  const client = new Redis({ ...ioredisTarget(), lazyConnect: true, enableOfflineQueue: false });
  client.on('error', noop);
  return client;
}

describe('redisStorage options', () => {
  const client = { sendCommand: async () => null };

  it('refuses a missing or foreign client, a bad prefix, closeClient or timeout', () => {
    for (const bad of [undefined, null, {}, { get: noop }, 'redis://127.0.0.1']) {
      const expected = { name: 'TypeError', message: /"client" expected a node-redis or ioredis client/ };
      assert.throws(() => redisStorage({ client: bad as unknown as RedisClientLike }), expected);
    }
    assert.throws(() => redisStorage(undefined as never), TypeError);
    assert.throws(() => redisStorage({ client, prefix: 'a:b' }), { name: 'RangeError', message: /"prefix"/ });
    assert.throws(() => redisStorage({ client, prefix: 5 as never }), { name: 'TypeError', message: /"prefix"/ });
    assert.throws(() => redisStorage({ client, closeClient: 'yes' as never }), { name: 'TypeError', message: /"closeClient"/ });
    assert.throws(() => redisStorage({ client, timeout: -1 }), { name: 'RangeError', message: /"timeout"/ });
    assert.throws(() => redisStorage({ client, timeout: 1.5 }), { name: 'RangeError', message: /"timeout"/ });
    assert.throws(() => redisStorage({ client, timeout: '1000' as never }), { name: 'TypeError', message: /"timeout"/ });
    assert.equal(redisStorage({ client, prefix: 'my-app.v1_2', timeout: 0 }).name, 'redis');
  });

  it('describes an invalid key without echoing it', async () => {
    const store = redisStorage({ client });
    const secretish = `${'s3cr3t'.repeat(7)}!`;
    await assert.rejects(store.get('session', secretish, now()), (err: Error) => {
      assert.ok(err instanceof TypeError);
      assert.doesNotMatch(err.message, /s3cr3t/);
      assert.match(err.message, /a string of 43 characters with characters outside/);
      return true;
    });
  });
});

describe('redisStorage against Redis', { skip: skip ?? false }, () => {
  const node = nodeClient();
  const io = ioClient();
  before(async () => {
    await node.connect();
    await io.connect();
  });
  after(async () => {
    await node.close().catch(noop);
    await io.quit().catch(noop);
  });

  for (const [name, client] of [['node-redis', node], ['ioredis', io]] as const) {
    it(`${name}: close() leaves your client open; later calls reject with STORAGE_ERROR`, async () => {
      const store = redisStorage({ client, prefix: prefix() });
      await store.close();
      await store.close();
      const closedError = (err: unknown): boolean => isSessionError(err, 'STORAGE_ERROR') && err.message === 'redis storage is closed';
      await assert.rejects(store.get('session', randomKey(), now()), closedError);
      assert.equal(await redis('PING'), 'PONG');
      assert.equal(name === 'node-redis' ? node.isReady : io.status === 'ready', true, 'the shared client is still usable');
    });

    it(`${name}: a re-save onto its own key keeps the full TTL, and TTLs round up to whole seconds`, async () => {
      const p = prefix();
      const store = redisStorage({ client, prefix: p });
      const key = randomKey();
      await store.set({ namespace: 'session', key, value: '["a"]', ttl: 60, now: now() });
      await store.set({ namespace: 'session', key, value: '["b"]', ttl: 60, now: now(), oldKey: key, staleTtl: 1 });
      assert.equal(await store.get('session', key, now()), '["b"]');
      assert.ok(Number(await redis('TTL', `${p}:session:${key}`)) > 50, 'the new record was not shortened to the stale TTL');
      const fractional = randomKey();
      await store.set({ namespace: 'session', key: fractional, value: '["c"]', ttl: 0.2, now: now() });
      assert.equal(await store.get('session', fractional, now()), '["c"]', 'a 0.2 s TTL is stored as EX 1, not refused');
      assert.equal(Number(await redis('TTL', `${p}:session:${fractional}`)), 1);
      await redis('UNLINK', `${p}:session:${key}`, `${p}:session:${fractional}`);
      await store.close();
    });
  }

  it('keeps the replaced key for the stale TTL and never shortens the index under a longer entry', async () => {
    const p = prefix();
    const store = redisStorage({ client: node, prefix: p });
    const [a, b, c] = [randomKey(), randomKey(), randomKey()];
    await store.set({ namespace: 'session', key: a, value: '["a"]', ttl: 600, now: now(), metadata: meta });
    await store.set({ namespace: 'session', key: b, value: '["b"]', ttl: 600, now: now(), oldKey: a, staleTtl: 3, metadata: meta });
    const staleLeft = Number(await redis('TTL', `${p}:session:${a}`));
    assert.ok(staleLeft > 0 && staleLeft <= 3, `old record TTL ${staleLeft}`);
    // A short-lived entry (ttl 30) must not cut the index's life below the 600 s entry it also holds.
    await store.set({ namespace: 'session', key: c, value: '["c"]', ttl: 30, now: now(), metadata: meta });
    const index = `${p}:session:${meta.audiences[0]}:${meta.subjects[0]}`;
    const indexTtl = Number(await redis('TTL', index));
    assert.ok(indexTtl > 590 && indexTtl <= 600, `index TTL ${indexTtl}`);
    const listed = await store.readMetadata('session', meta.audiences[0]!, meta.subjects[0]!, now());
    assert.deepEqual([...listed.keys()].sort(), [b, c].sort());
    await store.delete('session', b, now(), meta);
    await store.delete('session', c, now(), meta);
    assert.equal(await redis('EXISTS', index), 0, 'the emptied index is gone');
    await redis('UNLINK', `${p}:session:${a}`);
  });

  it('reads RESP3 replies (node-redis with RESP: 3) like RESP2 ones', async () => {
    const resp3 = nodeClient({ RESP: 3 });
    await resp3.connect();
    try {
      const store = redisStorage({ client: resp3, prefix: prefix() });
      const key = randomKey();
      const t = now();
      await store.set({ namespace: 'session', key, value: '["r3"]', ttl: 60, now: t, metadata: meta });
      assert.equal(await store.get('session', key, t), '["r3"]');
      assert.deepEqual([...(await store.readMetadata('session', meta.audiences[0]!, meta.subjects[0]!, t))], [[key, t + 60]]);
      await store.delete('session', key, t, meta);
    } finally {
      await resp3.close();
    }
  });

  it('closeClient: true quits the client on close()', async () => {
    const a = nodeClient();
    await a.connect();
    await redisStorage({ client: a, closeClient: true }).close();
    assert.equal(a.isOpen, false);
    const b = ioClient();
    await b.connect();
    await redisStorage({ client: b, closeClient: true }).close();
    // ioredis resolves quit() on the QUIT reply; the socket closes right after.
    if (b.status !== 'end') await once(b, 'end');
    assert.equal(b.status, 'end');
  });
});
