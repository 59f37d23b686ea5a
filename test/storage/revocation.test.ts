// Listing and revoking a subject's server-side sessions ("log out everywhere") over every store:
// memory, file, and Redis (node-redis). Remember records are indexed and revoked too, so that a remember
// cookie cannot restore a revoked session.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createClient } from 'redis';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import type { Storage } from '../../src/storage/types.ts';
import { fileStorage } from '../../src/storage/file.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { redisStorage } from '../../src/storage/redis.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import { parseHeader } from '../../src/codec/seal.ts';
import { redisSkipReason, redisUrl } from '../helpers/redis.ts';
import { SECRET, quiet } from '../helpers/session.ts';

const redisSkip = await redisSkipReason();
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Backend {
  readonly name: string;
  readonly skip?: string | undefined;
  create(prefix: string): Promise<{ storage: Storage; release(): Promise<unknown> }>;
}

const backends: Backend[] = [
  { name: 'memory', create: async (prefix) => ({ storage: memoryStorage({ prefix }), release: async () => {} }) },
  {
    name: 'file',
    async create(prefix) {
      const directory = await mkdtemp(join(tmpdir(), 'httpsession-revoke-'));
      dirs.push(directory);
      return { storage: fileStorage({ directory, prefix }), release: async () => {} };
    },
  },
  {
    name: 'redis',
    skip: redisSkip,
    async create(prefix) {
      const client = createClient({ url: redisUrl(), disableOfflineQueue: true, socket: { connectTimeout: 500 } });
      client.on('error', () => {});
      await client.connect();
      return { storage: redisStorage({ client, prefix }), release: () => client.close() };
    },
  },
];

/** One request: sends `cookie`, returns the session's subject and the cookie the response set. */
async function visit(m: SessionManager, cookie: string | undefined, act?: (s: Awaited<ReturnType<SessionManager['open']>>) => Promise<void>) {
  const headers = new Headers();
  const session = await m.start(new Request('http://127.0.0.1/', cookie === undefined ? {} : { headers: { cookie } }), headers);
  const subject = session.subject;
  if (act !== undefined) await act(session);
  const jar = new Map<string, string>();
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (!/Max-Age=0/.test(line)) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { subject, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') || cookie };
}

/** The storage key of a cookie's session (named `__Host-session` by default): base64url of its session id. */
const keyOf = (cookie: string): string => base64urlEncode(parseHeader(cookie.match(/(?:^|; )__Host-session=([^;]+)/)![1]!)!.sid);

const login = (subject: string, remember = false) => async (s: Awaited<ReturnType<SessionManager['open']>>) => {
  s.setSubject(subject);
  s.setRemember(remember);
  await s.regenerate();
};

for (const backend of backends) {
  describe(`listing and revoking a subject's sessions (${backend.name})`, { skip: backend.skip ?? false }, () => {
    it('lists live sessions and remember records; revokes one, then all; other subjects are untouched', async () => {
      const { storage, release } = await backend.create(`r${Math.random().toString(36).slice(2, 10)}`);
      try {
        const clock = fixedClock(Math.floor(Date.now() / 1000));
        const m = createSessionManager({ secret: SECRET, storage, storeMetadata: true, rememberSafety: 'low', now: clock.now, logger: quiet });
        const phone = await visit(m, undefined, login('alice', true));
        const laptop = await visit(m, undefined, login('alice'));
        const bob = await visit(m, undefined, login('bob'));

        const listed = await m.listSessions('alice');
        assert.equal(listed.filter((s) => s.kind === 'session').length, 2, 'two alice sessions');
        assert.equal(listed.filter((s) => s.kind === 'remember').length, 1, 'one alice remember record');
        assert.ok(listed.every((s) => /^[A-Za-z0-9_-]{43}$/.test(s.key) && s.expiresAt > clock.now()));
        assert.equal((await m.listSessions('bob')).length, 1);
        assert.equal((await m.listSessions('alice', { audience: 'other' })).length, 0, 'audiences are separate');

        // Revoke the laptop's session only: its cookie stops working, the phone's does not.
        assert.equal((await visit(m, laptop.cookie)).subject, 'alice');
        const laptopKey = (await m.listSessions('alice')).find((s) => s.kind === 'session' && s.key === keyOf(laptop.cookie!));
        assert.ok(laptopKey, 'the laptop session is listed under the key of its session id');
        assert.equal(await m.revokeSession('alice', laptopKey.key), true);
        assert.equal(await m.revokeSession('alice', laptopKey.key), false, 'a second revoke finds nothing');
        assert.equal((await visit(m, laptop.cookie)).subject, undefined, 'revoked session no longer opens');
        assert.equal((await visit(m, phone.cookie)).subject, 'alice', 'the other session still opens');

        // Log out everywhere: the session and the remember record go; the remember cookie cannot restore.
        assert.equal(await m.revokeSubject('alice'), 2);
        assert.deepEqual(await m.listSessions('alice'), []);
        assert.equal((await visit(m, phone.cookie)).subject, undefined, 'no session and no remember restore');
        assert.equal((await visit(m, bob.cookie)).subject, 'bob', 'bob is untouched');
      } finally {
        await release();
      }
    });
  });
}

describe('listing sessions needs a metadata index', () => {
  it('throws a TypeError naming the options without storage or storeMetadata', async () => {
    const cookieOnly = createSessionManager({ secret: SECRET, logger: quiet });
    await assert.rejects(cookieOnly.listSessions('alice'), (err: unknown) => err instanceof TypeError && /storeMetadata/.test(err.message));
    const noIndex = createSessionManager({ secret: SECRET, storage: memoryStorage(), logger: quiet });
    await assert.rejects(noIndex.revokeSubject('alice'), TypeError);
  });
});
