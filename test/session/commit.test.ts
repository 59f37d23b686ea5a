/**
 * The commit API adapters build on: `isModified`, `canSaveSync`, `saveSync()`, `commit()` and
 * `commitSync()`, over cookie storage and memoryStorage(), and `saveSync` over real node:http.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import { isSessionError } from '../../src/errors.ts';
import { createSessionManager } from '../../src/manager.ts';
import type { Session } from '../../src/session.ts';
import type { Storage } from '../../src/storage/types.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { CookieJar, withServer } from '../helpers/http.ts';
import { bed, Client, incompressible, lineFor, SECRET, visit } from '../helpers/session.ts';

/** A client holding a saved session with `{ n: 1, cart: [] }`, and its bed. */
async function savedClient(options = {}): Promise<{ b: ReturnType<typeof bed>; client: Client }> {
  const b = bed(options);
  const client = new Client();
  await visit(client, b.manager(), async (s) => {
    s.set('n', 1).set('cart', ['apple']);
    await s.save();
  });
  return { b, client };
}

const unsupported = (e: unknown): boolean => isSessionError(e, 'SYNC_UNSUPPORTED');

describe('Session.isModified', () => {
  const mutations: Array<[string, (s: Session) => unknown]> = [
    ['set', (s) => s.set('n', 2)],
    ['set to an equal value', (s) => s.set('n', 1)],
    ['set(name, undefined) of a present attribute', (s) => s.set('n', undefined)],
    ['remove', (s) => s.remove('n')],
    ['clear', (s) => s.clear()],
    ['setData', (s) => s.setData({ other: true })],
    ['setSubject', (s) => s.setSubject('alice')],
    ['setAudience', (s) => s.setAudience('admin')],
    ['setIdlingTimeout', (s) => s.setIdlingTimeout(60)],
    ['setRollingTimeout', (s) => s.setRollingTimeout(600)],
    ['setAbsoluteTimeout', (s) => s.setAbsoluteTimeout(6000)],
    ['setRemember', (s) => s.setRemember(false)],
    ['an object from get() changed in place', (s) => (s.get('cart') as string[]).push('pear')],
    ['an object from iteration changed in place', (s) => {
      for (const [name, value] of s) if (name === 'cart') (value as string[]).length = 0;
    }],
  ];
  for (const [name, mutate] of mutations) {
    it(`is true after ${name}, and false again after a save`, async () => {
      const { b, client } = await savedClient();
      await visit(client, b.manager(), async (s) => {
        assert.equal(s.isModified, false, 'an opened session is unmodified');
        mutate(s);
        assert.equal(s.isModified, true);
        await s.save();
        assert.equal(s.isModified, false);
      });
    });
  }

  it('stays false after reads, a no-op remove or setSubject, and a touch', async () => {
    const { b, client } = await savedClient();
    await visit(client, b.manager(), (s) => {
      assert.deepEqual(s.get('cart'), ['apple']);
      s.get('n');
      s.has('n');
      s.names();
      s.getData().cart?.push('not stored');
      [...s];
      s.remove('absent');
      s.set('absent', undefined);
      s.setSubject(undefined);
      s.setAudience(s.audience);
      b.clock.advance(120);
      assert.equal(s.touch(), true);
      assert.equal(s.isModified, false);
    });
  });

  it('a new session is unmodified until something is set; an object changed after a save counts again', async () => {
    const b = bed();
    await visit(new Client(), b.manager(), async (s) => {
      assert.equal(s.isModified, false);
      s.set('cart', []);
      const cart = s.get('cart') as string[];
      assert.equal(s.isModified, true);
      await s.save();
      assert.equal(s.isModified, false);
      cart.push('late');
      assert.equal(s.isModified, true, 'the live object handed out before the save is still watched');
    });
  });

  it('a change made while an asynchronous save is in flight stays modified', async () => {
    const memory = memoryStorage();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let writing = (): void => {};
    const written = new Promise<void>((resolve) => (writing = resolve));
    // A store whose write waits for the test: the session is sealed by then, the write not yet done.
    const slow: Storage = {
      name: 'slow',
      set: async (input) => {
        writing();
        await gate;
        return memory.set(input);
      },
      get: (namespace, key, now) => memory.get(namespace, key, now),
      delete: (namespace, key, now, metadata) => memory.delete(namespace, key, now, metadata),
    };
    const m = bed({ storage: slow }).manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.set('n', 1);
      const saving = s.save();
      await written;
      s.set('n', 2);
      release();
      await saving;
      assert.equal(s.isModified, true, 'n = 2 was set after the save sealed n = 1');
    });
    await visit(client, m, (s) => assert.equal(s.get('n'), 1));
  });
});

describe('Session.saveSync and canSaveSync', () => {
  it('writes the same Set-Cookie lines as save(), and the next request reads the data', async () => {
    // Two beds: the same clock and the same random sequence, so both saves seal the same id.
    const lines: string[][] = [];
    for (const sync of [false, true]) {
      const m = bed().manager();
      const client = new Client();
      const { lines: sent } = await visit(client, m, async (s) => {
        s.set('n', 41).set('deep', { a: [1, 2] });
        assert.equal(s.canSaveSync, true);
        if (sync) assert.equal(s.saveSync(), undefined);
        else await s.save();
        assert.equal(s.state, 'open');
      });
      lines.push(sent);
      await visit(client, m, (s) => {
        assert.equal(s.isNew, false);
        assert.deepEqual(s.getData(), { n: 41, deep: { a: [1, 2] } });
      });
    }
    assert.ok(lines[0]!.length >= 1);
    assert.deepEqual(lines[1], lines[0]);
  });

  it('over node:http, a synchronous handler with saveSync counts across requests', async () => {
    const sessions = createSessionManager({ secret: SECRET, cookie: { secure: false, name: 'sid' } });
    const handler = async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> => {
      const session = await sessions.start(req, res);
      // The last synchronous chance to write headers, as an on-headers hook has.
      const visits = ((session.get('visits') as number | undefined) ?? 0) + 1;
      session.set('visits', visits);
      session.saveSync();
      res.end(String(visits));
    };
    await withServer(handler, async (base) => {
      const jar = new CookieJar();
      for (let i = 1; i <= 3; i++) {
        const cookie = jar.header();
        const r = await fetch(base, cookie === undefined ? {} : { headers: { cookie } });
        assert.equal(await r.text(), String(i));
        jar.update(r.headers.getSetCookie());
        assert.ok(jar.get('sid'));
      }
    });
  });

  it('expires the chunks and the remember cookie the client held, as save() does', async () => {
    const b = bed({ cookie: { maxSize: 16_384 } });
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.set('big', incompressible(6000)).setRemember(true);
      await s.save();
    });
    assert.ok(client.jar.has('session2') && client.jar.has('remember'));
    const { lines } = await visit(client, m, (s) => {
      s.set('big', 'small').setRemember(false);
      assert.equal(s.canSaveSync, true);
      s.saveSync();
    });
    assert.ok(lineFor(lines, 'session2')?.includes('Max-Age=0'));
    assert.ok(lineFor(lines, 'remember')?.includes('Max-Age=0'));
    assert.equal(client.jar.has('remember'), false);
    await visit(client, m, (s) => assert.equal(s.get('big'), 'small'));
  });

  const cases = [
    { name: 'memoryStorage()', options: () => ({ storage: memoryStorage() }), holds: false, why: /memory storage needs I\/O/ },
    { name: 'remember-me', options: () => ({ remember: true }), holds: false, why: /remember cookie/ },
    { name: 'a revocation store and a held cookie', options: () => ({ revocation: { storage: memoryStorage() } }), holds: true, why: /revocation store/ },
  ];
  for (const c of cases) {
    it(`with ${c.name} throws SYNC_UNSUPPORTED naming nothing secret, and writes nothing`, async () => {
      const b = bed(c.options());
      const m = b.manager();
      const client = new Client();
      if (c.holds) await visit(client, m, (s) => s.set('n', 1).save());
      const { lines } = await visit(client, m, (s) => {
        s.set('n', 2);
        assert.equal(s.canSaveSync, false);
        let error: unknown;
        assert.throws(() => s.saveSync(), (e) => unsupported((error = e)));
        assert.throws(() => s.commitSync(), unsupported);
        const message = (error as Error).message;
        assert.match(message, c.why);
        assert.ok(!message.includes(SECRET) && !message.includes(s.id) && !message.includes(base64urlEncode(new TextEncoder().encode(SECRET))));
        for (const v of client.jar.values()) assert.ok(!message.includes(v));
        assert.equal(s.isModified, true);
      });
      assert.deepEqual(lines, []);
    });
  }

  it('with a revocation store, a session the client holds no cookie of yet saves synchronously', async () => {
    const m = bed({ revocation: { storage: memoryStorage() } }).manager();
    const client = new Client();
    await visit(client, m, (s) => {
      s.set('n', 1);
      assert.equal(s.canSaveSync, true);
      s.saveSync();
    });
    await visit(client, m, (s) => assert.equal(s.get('n'), 1));
  });

  it('with memoryStorage(), switching remember-me off deletes the remember record: the old remember cookie restores nothing', async () => {
    const m = bed({ storage: memoryStorage() }).manager();
    const client = new Client();
    await visit(client, m, (s) => s.set('n', 1).setRemember(true).save());
    const remembered = new Client(`remember=${client.jar.get('remember')}`);
    await visit(client, m, async (s) => {
      s.setRemember(false);
      assert.equal(await s.commit(), 'saved');
    });
    assert.equal(client.jar.has('remember'), false);
    await visit(remembered, m, (s) => assert.equal(s.isNew, true));
  });

  it('throws SESSION_CLOSED after destroy and HEADERS_SENT when the response has gone', async () => {
    const m = bed().manager();
    await visit(new Client(), m, async (s) => {
      await s.destroy();
      assert.throws(() => s.saveSync(), (e) => isSessionError(e, 'SESSION_CLOSED'));
    });
    await withServer(
      async (req, res) => {
        const s = await m.open(req, res);
        res.end('done');
        s.set('n', 1);
        assert.throws(() => s.saveSync(), (e) => isSessionError(e, 'HEADERS_SENT'));
      },
      async (base) => assert.equal(await (await fetch(base)).text(), 'done'),
    );
  });
});

for (const kind of [
  { name: 'cookie storage', options: () => ({}) },
  { name: 'memoryStorage()', options: () => ({ storage: memoryStorage() }) },
]) {
  describe(`Session.commit and commitSync (${kind.name})`, () => {
    for (const how of ['commit', 'commitSync'] as const) {
      const commit = (s: Session): Promise<string> | string => (how === 'commit' ? s.commit() : s.commitSync());
      const syncSave = how === 'commitSync' && kind.name !== 'cookie storage';

      it(`${how}: an unchanged session is touched only once touchThreshold has passed`, async () => {
        const { b, client } = await savedClient(kind.options());
        const m = b.manager({ touchThreshold: 60 });
        b.clock.advance(30);
        const first = await visit(client, m, async (s) => assert.equal(await commit(s), 'none'));
        assert.deepEqual(first.lines, []);
        b.clock.advance(61);
        const second = await visit(client, m, async (s) => assert.equal(await commit(s), 'touched'));
        assert.equal(second.lines.length, 1);
        await visit(client, m, (s) => assert.deepEqual(s.getData(), { n: 1, cart: ['apple'] }));
      });

      it(`${how}: an unchanged session past 3/4 of its rolling timeout is saved`, async () => {
        const { b, client } = await savedClient(kind.options());
        const m = b.manager({ rollingTimeout: 400, idlingTimeout: 0 });
        b.clock.advance(301);
        await visit(client, m, async (s) => {
          if (syncSave) assert.throws(() => s.commitSync(), unsupported);
          else assert.equal(await commit(s), 'saved');
        });
      });

      it(`${how}: a changed session is saved; a new untouched one sends nothing`, async () => {
        const { b, client } = await savedClient(kind.options());
        const m = b.manager();
        if (!syncSave) {
          await visit(client, m, async (s) => {
            s.set('n', 2);
            assert.equal(await commit(s), 'saved');
            assert.equal(s.isModified, false);
          });
          await visit(client, m, (s) => assert.equal(s.get('n'), 2));
        }
        const fresh = await visit(new Client(), m, async (s) => assert.equal(await commit(s), 'none'));
        assert.deepEqual(fresh.lines, []);
      });

      it(`${how}: a destroyed, logged-out or closed session commits nothing, without throwing`, async () => {
        for (const end of [(s: Session) => s.destroy(), (s: Session) => s.logout(), (s: Session) => s.close()]) {
          const { b, client } = await savedClient(kind.options());
          const m = b.manager();
          await visit(client, m, async (s) => {
            s.set('n', 5);
            await end(s);
            assert.equal(await commit(s), 'none');
          });
        }
      });
    }
  });
}

describe('commit with the clock of a real manager', () => {
  it('start() then commit() over fetch: saved once, then none within the touch threshold', async () => {
    const clock = fixedClock();
    const m = createSessionManager({ secret: SECRET, now: clock.now, cookie: { secure: false } });
    const client = new Client();
    client.url = 'http://127.0.0.1/';
    const a = await client.open(m, 'start');
    a.session.set('k', 'v');
    assert.equal(await a.session.commit(), 'saved');
    client.receive(a.headers);
    const b = await client.open(m, 'start');
    assert.equal(await b.session.commit(), 'none');
    assert.equal(b.session.get('k'), 'v');
  });
});
