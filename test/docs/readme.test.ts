// The README's examples are files in examples/ shown verbatim, and each of them runs here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const SECRET = 'readme-test-secret-readme-test-secret';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('README', () => {
  const blocks = [...readme.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g)];

  it('shows each example file verbatim', () => {
    assert.ok(blocks.length >= 3, 'the README has its examples');
    for (const [, path, code] of blocks) {
      assert.equal(code, readFileSync(new URL(path!, root), 'utf8'), `${path} differs from the README`);
    }
  });

  it('shows both commands', () => {
    assert.match(readme, /npm install && npm start/);
    assert.match(readme, /npm test/);
  });

  it('quick start: a node:http server counts visits over its cookie', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/quick-start.ts'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), SESSION_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = `http://127.0.0.1:${port}/`;
      await waitForHttp(url, 15_000);
      const first = await fetch(url);
      assert.equal(await first.text(), 'visit 1\n');
      const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
      const second = await fetch(url, { headers: { cookie } });
      assert.equal(await second.text(), 'visit 2\n');
    } finally {
      child.kill();
    }
  });

  it('fetch handler: counts visits with Request and Headers', async () => {
    process.env.SESSION_SECRET = SECRET;
    const { default: app } = (await import('../../examples/fetch.ts')) as { default: { fetch(r: Request): Promise<Response> } };
    const first = await app.fetch(new Request('https://example.com/'));
    assert.equal(await first.text(), 'visit 1\n');
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const second = await app.fetch(new Request('https://example.com/', { headers: { cookie } }));
    assert.equal(await second.text(), 'visit 2\n');
  });

  it('testing example: runs its own assertions', async () => {
    await import('../../examples/testing.ts');
  });
});
