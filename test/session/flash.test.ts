/**
 * Flash values over real HTTP (node:http on 127.0.0.1, fetch with redirects followed by hand and a cookie
 * jar): flashed before a redirect, read on the page redirected to, once; no write when nothing was
 * flashed or read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { SessionManager } from '../../src/manager.ts';
import type { SessionOptions } from '../../src/options.ts';
import { memoryStorage } from '../../src/storage/memory.ts';
import { CookieJar, withServer } from '../helpers/http.ts';
import { bed, Client, visit } from '../helpers/session.ts';

/** One response of {@link browse}: its status, body and the Set-Cookie lines it carried. */
interface Page {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  readonly setCookies: string[];
}

/**
 * Requests `path` like a browser: sends the jar's cookies, stores the ones set, follows redirects.
 * @returns every response on the way, the last one last
 */
async function browse(base: string, jar: CookieJar, path: string, method = 'GET'): Promise<Page[]> {
  const pages: Page[] = [];
  for (let hops = 0; hops < 5; hops++) {
    const cookie = jar.header();
    const response = await fetch(`${base}${path}`, { method, redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
    const setCookies = response.headers.getSetCookie();
    jar.update(setCookies);
    pages.push({ path, status: response.status, body: await response.text(), setCookies });
    const location = response.headers.get('location');
    if (location === null) return pages;
    path = location;
    method = 'GET';
  }
  throw new Error('too many redirects');
}

/**
 * A small app: POST /items flashes a notice and redirects (via /step for /items?via=step); GET /items
 * shows the notice; /step redirects without reading; /peek flashes and reads in one request.
 */
function app(sessions: SessionManager): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    const session = await sessions.start(req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    let status = 200;
    let body = '';
    let location: string | undefined;
    if (req.method === 'POST' && url.pathname === '/items') {
      session.set('items', [...((session.get('items') as string[] | undefined) ?? []), 'apple']);
      session.flash('notice', 'Item saved');
      session.flash('count', (session.get('items') as string[]).length);
      [status, location] = [303, url.searchParams.get('via') === 'step' ? '/step' : '/items'];
    } else if (url.pathname === '/step') {
      [status, location] = [302, '/items'];
    } else if (url.pathname === '/items') {
      body = JSON.stringify({ notice: session.takeFlash('notice') ?? null, again: session.takeFlash('notice') ?? null, rest: session.takeFlash() });
    } else if (url.pathname === '/peek') {
      session.flash('notice', 'now');
      body = JSON.stringify({ sameRequest: session.takeFlash('notice') ?? null });
    } else if (url.pathname === '/reflash') {
      body = JSON.stringify({ read: session.takeFlash('notice') ?? null });
      session.flash('notice', 'second');
    }
    await session.commit();
    res.writeHead(status, location === undefined ? {} : { location }).end(body);
  };
}

const KINDS: Array<{ name: string; options: () => SessionOptions }> = [
  { name: 'cookie storage', options: () => ({}) },
  { name: 'memoryStorage()', options: () => ({ storage: memoryStorage() }) },
];

for (const kind of KINDS) {
  describe(`flash over HTTP (${kind.name})`, () => {
    it('a notice flashed before a redirect is shown on the page redirected to, once; no write when nothing is flashed or read', async () => {
      const b = bed(kind.options());
      const sessions = b.manager();
      await withServer(app(sessions), async (base) => {
        const jar = new CookieJar();
        const [post, shown] = await browse(base, jar, '/items', 'POST');
        assert.equal(post!.status, 303);
        assert.equal(post!.body, '');
        assert.ok(post!.setCookies.length > 0, 'the flash is saved with the redirect');
        assert.deepEqual(JSON.parse(shown!.body), { notice: 'Item saved', again: null, rest: { count: 1 } });
        assert.ok(shown!.setCookies.length > 0, 'reading the flash saves the session, without it');
        const [after] = await browse(base, jar, '/items');
        assert.deepEqual(JSON.parse(after!.body), { notice: null, again: null, rest: {} });
        assert.deepEqual(after!.setCookies, [], 'nothing flashed, nothing read: nothing written');
      });
    });

    it('survives a chain of redirects whose pages do not read it', async () => {
      const b = bed(kind.options());
      await withServer(app(b.manager()), async (base) => {
        const jar = new CookieJar();
        const pages = await browse(base, jar, '/items?via=step', 'POST');
        assert.deepEqual(pages.map((p) => [p.path, p.status]), [['/items?via=step', 303], ['/step', 302], ['/items', 200]]);
        assert.deepEqual(pages[1]!.setCookies, [], 'the page in between writes nothing');
        assert.equal(JSON.parse(pages[2]!.body).notice, 'Item saved');
      });
    });

    it('is not readable in the request that flashed it; a value read and flashed again is the next one', async () => {
      const b = bed(kind.options());
      await withServer(app(b.manager()), async (base) => {
        const jar = new CookieJar();
        const [peek] = await browse(base, jar, '/peek');
        assert.deepEqual(JSON.parse(peek!.body), { sameRequest: null });
        const [reflash] = await browse(base, jar, '/reflash');
        assert.deepEqual(JSON.parse(reflash!.body), { read: 'now' });
        const [shown] = await browse(base, jar, '/items');
        assert.equal(JSON.parse(shown!.body).notice, 'second');
      });
    });
  });
}

describe('flash', () => {
  it('is not an attribute: not in names() or getData(), no attribute event, reserved "@flash"', async () => {
    const b = bed();
    const m = b.manager();
    let events = 0;
    m.on('attributeAdded', () => void events++);
    const client = new Client();
    await visit(client, m, async (s) => {
      s.flash('notice', { text: 'hi', level: 'info' });
      assert.deepEqual(s.names(), []);
      assert.deepEqual(s.getData(), {});
      assert.throws(() => s.set('@flash' as never, 1), /reserved/);
      await s.save();
    });
    await visit(client, m, (s) => assert.deepEqual(s.takeFlash('notice'), { text: 'hi', level: 'info' }));
    assert.equal(events, 0);
  });

  it('flashing, and taking a value, modify the session; taking nothing does not', async () => {
    const b = bed();
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      assert.equal(s.isModified, false);
      s.flash('notice', 'x');
      assert.equal(s.isModified, true);
      assert.equal(await s.commit(), 'saved');
    });
    await visit(client, m, async (s) => {
      assert.equal(s.takeFlash('other'), undefined);
      assert.equal(s.isModified, false);
      assert.equal(s.takeFlash('notice'), 'x');
      assert.equal(s.isModified, true);
      assert.equal(s.commitSync(), 'saved');
    });
    await visit(client, m, (s) => assert.deepEqual(s.takeFlash(), {}));
  });

  it('refuses an empty key and a value that does not survive JSON', async () => {
    const { session } = await new Client().open(bed().manager());
    assert.throws(() => session.flash('', 'x'), { name: 'TypeError', message: /flash key expected a non-empty string/ });
    assert.throws(() => session.flash('when', new Date() as never), { name: 'TypeError', message: /"@flash.when"/ });
    assert.equal(session.takeFlash('missing'), undefined);
    assert.deepEqual(session.takeFlash(), {});
  });

  it('a key named __proto__ is stored as data, not as a prototype', async () => {
    const b = bed();
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.flash('__proto__', { polluted: true });
      await s.save();
    });
    await visit(client, m, (s) => {
      const all = s.takeFlash();
      assert.deepEqual(Object.keys(all), ['__proto__']);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });
});
