// The Session over the Redis store, with node-redis and ioredis, through both transports (Fetch
// Request/Headers, and a real node:http server on 127.0.0.1:0): open, save, refresh with the stale TTL,
// logout, destroy, regenerate; and the record layout lua-resty-session reads (spec 5.2, 5.4; vectors
// shm/shm_meta use the same names): `session:<b64url sid>` holds `["<ciphertext>"]`, and with
// storeMetadata the sorted set `session:<b64url aud>:<b64url sub>` holds the key scored now + ttl.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import { parseHeader } from '../../src/codec/seal.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { luaRestySessionCookie, type SessionOptions } from '../../src/options.ts';
import type { Session } from '../../src/session.ts';
import { redisStorage, type RedisClientLike, type RedisStorage } from '../../src/storage/redis.ts';
import { CookieJar } from '../helpers/http.ts';
import { command, ioredisTarget, redisSkipReason, redisTarget, redisUrl } from '../helpers/redis.ts';
import { SECRET, invalidLog, quiet } from '../helpers/session.ts';

const skip = await redisSkipReason();
const noop = (): void => {};
const redis = (...args: string[]): Promise<unknown> => command(redisTarget(), args);
const b64 = (text: string): string => base64urlEncode(new TextEncoder().encode(text));
const unique = (): string => b64(String(Math.random())).slice(0, 10).replace(/[-_]/g, 'x');
const retry = (attempt: number): number => Math.min(50 * (attempt + 1), 500);

interface ClientKind {
  readonly name: string;
  connect(): Promise<{ client: RedisClientLike; release(): Promise<unknown> }>;
}

const clients: ClientKind[] = [
  {
    name: 'node-redis',
    async connect() {
      const client = createClient({ url: redisUrl(), disableOfflineQueue: true, socket: { connectTimeout: 500, reconnectStrategy: retry } });
      client.on('error', noop);
      await client.connect();
      return { client, release: () => client.close() };
    },
  },
  {
    name: 'ioredis',
    async connect() {
      const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500 };
      const client = new Redis({ ...ioredisTarget(), ...options });
      client.on('error', noop);
      await client.connect();
      return { client, release: () => client.quit() };
    },
  },
];

type Visit = <R>(manager: SessionManager, jar: CookieJar, fn: (session: Session) => R | Promise<R>) => Promise<{ result: R; lines: string[] }>;

/** One request/response through a transport: the jar sends its cookies and keeps the Set-Cookie lines. */
interface Transport {
  readonly name: string;
  start(): Promise<{ visit: Visit; stop(): Promise<void> }>;
}

const transports: Transport[] = [
  {
    name: 'Fetch',
    async start() {
      const visit: Visit = async (manager, jar, fn) => {
        const cookie = jar.header();
        const headers = new Headers();
        const session = await manager.open(new Request('http://127.0.0.1/', cookie === undefined ? {} : { headers: { cookie } }), headers);
        const result = await fn(session);
        const lines = headers.getSetCookie();
        jar.update(lines);
        return { result, lines };
      };
      return { visit, stop: async () => {} };
    },
  },
  {
    name: 'node:http',
    async start() {
      // The handler of the request in flight: requests are sequential, so one slot is enough.
      let handle: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | undefined;
      const server = http.createServer((req, res) => {
        handle!(req, res).catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const visit: Visit = async (manager, jar, fn) => {
        let result: Awaited<ReturnType<typeof fn>> | undefined;
        handle = async (req, res) => {
          result = await fn(await manager.open(req, res));
          res.end('ok');
        };
        const cookie = jar.header();
        const response = await fetch(base, cookie === undefined ? {} : { headers: { cookie } });
        const body = await response.text();
        assert.equal(response.status, 200, body);
        const lines = response.headers.getSetCookie();
        jar.update(lines);
        return { result: result as Awaited<ReturnType<typeof fn>>, lines };
      };
      return {
        visit,
        stop: async () => {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
        },
      };
    },
  },
];

/** A jar holding only the given session cookie value: a client still holding an old cookie. */
function jarWith(value: string | undefined): CookieJar {
  return new CookieJar().update(value === undefined ? [] : [`session=${value}`]);
}

const exists = async (key: string): Promise<boolean> => (await redis('EXISTS', key)) === 1;

for (const kind of clients) {
  for (const transport of transports) {
    describe(`Session over redis storage (${kind.name}, ${transport.name})`, { skip: skip ?? false }, () => {
      let release: () => Promise<unknown> = async () => {};
      let stopTransport: () => Promise<void> = async () => {};
      let client: RedisClientLike;
      let visit: Visit;
      let offset = 0;
      const invalid = invalidLog();
      const prefix = `t${unique()}`;
      // lua-resty-session's cookie defaults: cookies named `session` and records under `session:<sid>`.
      const manager = (storage: RedisStorage, options: SessionOptions = {}): SessionManager =>
        createSessionManager({
          cookie: luaRestySessionCookie,
          secret: SECRET,
          storage,
          logger: quiet,
          onInvalid: invalid.hook,
          idlingTimeout: 0, // the tests move the clock by hours
          now: () => Date.now() / 1000 + offset,
          ...options,
        });

      before(async () => {
        ({ client, release } = await kind.connect());
        ({ visit, stop: stopTransport } = await transport.start());
      });
      after(async () => {
        await stopTransport();
        await release().catch(noop);
      });

      it('saves, reopens, and on a refresh keeps the replaced record for the stale TTL only', async () => {
        offset = 0;
        const sessions = manager(redisStorage({ client, prefix }), { staleTtl: 5 });
        const jar = new CookieJar();
        const first = await visit(sessions, jar, async (s) => {
          s.set('user', 'alice');
          await s.save();
          return s.id;
        });
        assert.equal(first.lines.length, 1);
        assert.equal(jar.get('session')?.length, 110, 'the cookie holds only the header');
        assert.ok(await exists(`${prefix}:session:${first.result}`));
        const again = await visit(sessions, jar, async (s) => [s.get('user'), await s.refresh()]);
        assert.deepEqual(again.result, ['alice', 'none']);
        assert.deepEqual(again.lines, []);

        const old = jarWith(jar.get('session'));
        offset = 2800; // past 3/4 of the rolling timeout (3600): refresh() saves under a new id
        const refreshed = await visit(sessions, jar, async (s) => [await s.refresh(), s.id]);
        assert.equal(refreshed.result[0], 'saved');
        const second = refreshed.result[1]!;
        assert.notEqual(second, first.result);
        const oldTtl = Number(await redis('TTL', `${prefix}:session:${first.result}`));
        assert.ok(oldTtl > 0 && oldTtl <= 5, `the replaced record lives at most staleTtl more seconds, TTL ${oldTtl}`);
        assert.ok(Number(await redis('TTL', `${prefix}:session:${second}`)) > 3500);
        // Requests in flight with the old cookie still work, and the new cookie carries the data.
        assert.equal((await visit(sessions, old, (s) => s.get('user'))).result, 'alice');
        assert.equal((await visit(sessions, jar, (s) => s.get('user'))).result, 'alice');
        await redis('UNLINK', `${prefix}:session:${first.result}`, `${prefix}:session:${second}`);
      });

      it('logout of one audience re-saves the others at once; logout of the last deletes the record', async () => {
        offset = 0;
        const storage = redisStorage({ client, prefix });
        const shop = manager(storage, { audience: 'shop' });
        const blog = manager(storage, { audience: 'blog' });
        const jar = new CookieJar();
        const saveWith = (name: string, value: number) => async (s: Session): Promise<string> => {
          s.set(name, value);
          await s.save();
          return s.id;
        };
        const a = await visit(shop, jar, saveWith('cart', 1));
        const b = await visit(blog, jar, saveWith('posts', 2));
        const c = await visit(blog, jar, async (s) => {
          await s.logout();
          return s.state;
        });
        assert.equal(c.result, 'closed');
        assert.equal(await exists(`${prefix}:session:${b.result}`), false, 'the record logged out of is deleted at once');
        const remaining = await visit(shop, jar, (s) => [s.get('cart'), s.id]);
        assert.equal(remaining.result[0], 1, 'the other audience keeps its data');
        const id = String(remaining.result[1]);
        assert.ok(await exists(`${prefix}:session:${id}`));
        assert.equal((await visit(blog, jarWith(jar.get('session')), (s) => s.get('posts'))).result, undefined);

        const last = await visit(shop, jar, (s) => s.logout());
        assert.match(last.lines.join('\n'), /^session=;.*Max-Age=0/m, 'the cookie is expired');
        assert.equal(await exists(`${prefix}:session:${id}`), false, 'logout of the last audience destroys the record');
        assert.equal(jar.header(), undefined);
        await redis('UNLINK', `${prefix}:session:${a.result}`);
      });

      it('regenerate makes the old cookie unusable at once; destroy deletes the record and expires the cookie', async () => {
        offset = 0;
        const sessions = manager(redisStorage({ client, prefix }));
        const jar = new CookieJar();
        const first = await visit(sessions, jar, async (s) => {
          s.set('role', 'guest');
          await s.save();
          return s.id;
        });
        const old = jarWith(jar.get('session'));
        const second = await visit(sessions, jar, async (s) => {
          s.set('role', 'admin');
          await s.regenerate();
          return s.id;
        });
        assert.notEqual(second.result, first.result);
        assert.equal(await exists(`${prefix}:session:${first.result}`), false, 'no stale window after regenerate');
        invalid.take();
        assert.equal((await visit(sessions, old, (s) => s.isNew)).result, true);
        assert.deepEqual(invalid.take().map((e) => e.reason), ['not-found']);
        assert.equal((await visit(sessions, jar, (s) => s.get('role'))).result, 'admin');

        const current = jarWith(jar.get('session'));
        const destroyed = await visit(sessions, jar, (s) => s.destroy());
        assert.match(destroyed.lines.join('\n'), /^session=;.*Max-Age=0/m);
        assert.equal(await exists(`${prefix}:session:${second.result}`), false);
        assert.equal((await visit(sessions, current, (s) => s.isNew)).result, true, 'a copy of the destroyed cookie opens nothing');
      });

      it("writes lua-resty-session's layout: the record under session:<sid>, metadata under session:<aud>:<sub>", async () => {
        offset = 0;
        const storage = redisStorage({ client }); // no prefix: exactly lua's default names
        const subject = `Lua Fan ${unique()}`;
        const sessions = manager(storage, { audience: 'my_application', subject, storeMetadata: true });
        const jar = new CookieJar();
        const before = Math.floor(Date.now() / 1000);
        const saved = await visit(sessions, jar, async (s) => {
          s.set('quote', 'Lorem ipsum dolor sit amet');
          await s.save();
          return s.id;
        });
        const after = Math.floor(Date.now() / 1000);
        const sid = saved.result;
        const cookie = jar.get('session')!;
        assert.equal(cookie.length, 110);
        const header = parseHeader(cookie)!;
        assert.equal(base64urlEncode(header.sid), sid);

        const record = await redis('GET', `session:${sid}`);
        assert.equal(typeof record, 'string');
        const parsed = JSON.parse(String(record)) as unknown[];
        assert.equal(parsed.length, 1);
        assert.match(String(parsed[0]), /^[A-Za-z0-9_-]+$/);
        assert.equal(String(parsed[0]).length, header.dataSize, 'the ciphertext length is in the header');
        const ttl = Number(await redis('TTL', `session:${sid}`));
        assert.ok(ttl > 3590 && ttl <= 3600, `record TTL ${ttl}`);

        const index = `session:${b64('my_application')}:${b64(subject)}`;
        const members = (await redis('ZRANGE', index, '0', '-1', 'WITHSCORES')) as string[];
        assert.equal(members.length, 2);
        assert.equal(members[0], sid);
        const score = Number(members[1]);
        assert.ok(score >= before + 3600 && score <= after + 3600, `score ${score} is now + ttl`);
        const indexTtl = Number(await redis('TTL', index));
        assert.ok(indexTtl > 3590 && indexTtl <= 3600, `index TTL ${indexTtl}`);
        const listed = await storage.readMetadata('session', b64('my_application'), b64(subject), Math.floor(Date.now() / 1000));
        assert.deepEqual([...listed], [[sid, score]]);

        // destroy removes the record and its index entry (the empty set disappears with it).
        await visit(sessions, jar, (s) => s.destroy());
        assert.equal(await exists(`session:${sid}`), false);
        assert.equal(await exists(index), false);
      });
    });
  }
}
