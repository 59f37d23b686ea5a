// What the memcached store does beyond the conformance suite: configuration errors (storeMetadata
// refused, naming the option), lua-resty-session's records (no flags) read and shortened the way lua does,
// lives over 30 days sent as a Unix time, and the expiry carried in the item's flags. Real memcached.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSessionManager } from '../../src/manager.ts';
import { memcachedStorage } from '../../src/storage/memcached.ts';
import { memcachedSkipReason, memjsClient } from '../helpers/memcached.ts';
import { SECRET, quiet } from '../helpers/session.ts';

const fakeClient = { get: async () => ({ value: null, flags: null }), touch: async () => false, delete: async () => false, add: async () => false, append: async () => false, perform() {}, incrSeq() {}, seq: 0, close() {} };
const now = (): number => Math.floor(Date.now() / 1000);
const key = (c: string): string => c.repeat(43);

describe('memcached storage: configuration', () => {
  it('refuses a missing or foreign client, and bad options, naming them', () => {
    assert.throws(() => memcachedStorage({} as never), { name: 'TypeError', message: /"client" expected a memjs Client/ });
    assert.throws(() => memcachedStorage({ client: { get() {}, set() {} } } as never), { name: 'TypeError', message: /"client"/ });
    assert.throws(() => memcachedStorage({ client: fakeClient, prefix: 'a b' }), { name: 'RangeError', message: /"prefix"/ });
    assert.throws(() => memcachedStorage({ client: fakeClient, prefix: 7 as never }), { name: 'TypeError', message: /"prefix"/ });
    assert.throws(() => memcachedStorage({ client: fakeClient, timeout: -1 }), { name: 'RangeError', message: /"timeout"/ });
    assert.throws(() => memcachedStorage({ client: fakeClient, closeClient: 'yes' as never }), { name: 'TypeError', message: /"closeClient"/ });
  });

  it('has no subject index: a manager with storeMetadata: true refuses it at construction, naming the option', () => {
    const storage = memcachedStorage({ client: fakeClient });
    assert.equal('readMetadata' in storage, false);
    assert.throws(() => createSessionManager({ secret: SECRET, storage, storeMetadata: true, logger: quiet }), {
      name: 'TypeError',
      message: /"storeMetadata".*memcached/,
    });
    assert.doesNotThrow(() => createSessionManager({ secret: SECRET, storage, logger: quiet }));
  });
});

const skip = await memcachedSkipReason();

describe('memcached storage: records', { skip: skip ?? false }, () => {
  const client = skip === undefined ? memjsClient() : undefined;
  after(() => client?.close());
  const prefix = `t${Math.random().toString(36).slice(2, 10)}`;

  it('each record carries its expiry (Unix seconds) in the item flags; the value is the record itself', async () => {
    const s = memcachedStorage({ client: client!, prefix });
    const t = now();
    await s.set({ namespace: 'session', key: key('a'), value: '["x"]', ttl: 60, now: t });
    const raw = await client!.get(`${prefix}:session:${key('a')}`);
    assert.equal(raw.value?.toString(), '["x"]');
    assert.equal(raw.flags?.readUInt32BE(0), t + 60);
  });

  it("reads a record lua-resty-session wrote (flags 0), and shortens it to staleTtl on replace, as lua does", async () => {
    const s = memcachedStorage({ client: client!, prefix });
    const t = now();
    const name = `${prefix}:session:${key('b')}`;
    await client!.set(name, '["lua"]', { expires: 60 });
    assert.equal(await s.get('session', key('b'), t), '["lua"]');
    assert.deepEqual(await s.set({ namespace: 'session', key: key('c'), value: '["new"]', ttl: 60, now: t, oldKey: key('b'), staleTtl: 1 }), { oldKeyLive: true });
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await client!.get(name)).value, null, 'touched to the stale TTL');
  });

  it('a life over 30 days is sent as a Unix time (memcached would read the seconds as a date in 1970)', async () => {
    const s = memcachedStorage({ client: client!, prefix });
    const t = now();
    await s.set({ namespace: 'remember', key: key('d'), value: '["long"]', ttl: 400 * 86_400, now: t });
    assert.equal(await s.get('remember', key('d'), t), '["long"]');
  });

  it("the session's clock applies too: a record read at a time past its recorded expiry is gone", async () => {
    const s = memcachedStorage({ client: client!, prefix });
    const t = now();
    await s.set({ namespace: 'session', key: key('e'), value: '["e"]', ttl: 60, now: t });
    assert.equal(await s.get('session', key('e'), t + 59), '["e"]');
    assert.equal(await s.get('session', key('e'), t + 60), null);
  });
});
