// The docs site: every code block on a page is run by a test or marked as a fragment; the API reference
// (TypeDoc, from package.json `exports`) finds a doc comment on every public export; the site builds
// (VitePress, offline) and has no broken internal link or anchor. The site is built once, here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSidebar, type SidebarItem } from '../../docs/.vitepress/sidebar.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const DIST = join(DOCS, '.vitepress', 'dist');
/** Not pages written by hand: VitePress's own directory, TypeDoc's output, static assets. */
const NOT_PAGES = new Set(['.vitepress', 'api', 'public', 'node_modules']);

/** Every file under `dir` (recursively) whose name ends with `ext`, skipping `skip` directory names. */
function filesUnder(dir: string, ext: string, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) out.push(...filesUnder(join(dir, entry.name), ext, skip));
    } else if (entry.name.endsWith(ext)) out.push(join(dir, entry.name));
  }
  return out;
}

interface CodeBlock {
  readonly line: number;
  readonly info: string;
  readonly code: string;
  /** The line just above the opening fence. */
  readonly above: string;
}

/** The fenced code blocks of a Markdown text (CommonMark fences: ``` or ~~~, closed by at least as many). */
export function codeBlocks(text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3}|\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const [, indent = '', fence = '', info = ''] = open;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    const code = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    blocks.push({ line: i + 1, info: info.trim(), code: code.length > 0 ? `${code.join('\n')}\n` : '', above: lines[i - 1] ?? '' });
    i = end;
  }
  return blocks;
}

/** Runs a command to completion; resolves with its exit code and combined output. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = Date.now();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
  // Under c8, coverage of TypeDoc and VitePress themselves would only slow the report down.
  delete childEnv['NODE_V8_COVERAGE'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('close', (code) => resolve({ code, output, seconds: (Date.now() - started) / 1000 }));
  });
}

describe('docs pages', () => {
  const pages = filesUnder(DOCS, '.md', NOT_PAGES);
  const tests = filesUnder(join(ROOT, 'test'), '.test.ts')
    .filter((f) => !f.endsWith('site.test.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

  test('every code block is an example file run by a test, or marked `fragment`', () => {
    const problems: string[] = [];
    for (const page of pages) {
      const where = relative(ROOT, page);
      for (const block of codeBlocks(readFileSync(page, 'utf8'))) {
        if (block.info.split(/\s+/).includes('fragment')) continue;
        const example = /^<!-- example: (\S+) -->$/.exec(block.above.trim())?.[1];
        if (example === undefined) {
          problems.push(`${where}:${block.line}: a \`\`\`${block.info} block that no test runs: show an examples/ file (<!-- example: examples/x.ts --> above it) or mark it \`\`\`${block.info || 'text'} fragment`);
        } else if (!existsSync(join(ROOT, example))) {
          problems.push(`${where}:${block.line}: ${example} does not exist`);
        } else if (readFileSync(join(ROOT, example), 'utf8') !== block.code) {
          problems.push(`${where}:${block.line}: the block differs from ${example} (show it verbatim)`);
        } else if (!tests.includes(example)) {
          problems.push(`${where}:${block.line}: no test under test/ runs ${example}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the checker sees fences of both kinds, indented ones, and their markers', () => {
    const blocks = codeBlocks('a\n<!-- example: examples/x.ts -->\n```ts\nconst a = 1;\n```\n\n  ~~~sh fragment\n  npm test\n  ~~~\n');
    assert.deepEqual(
      blocks.map((b) => [b.line, b.info, b.code, b.above]),
      [
        [3, 'ts', 'const a = 1;\n', '<!-- example: examples/x.ts -->'],
        [7, 'sh fragment', 'npm test\n', ''],
      ],
    );
  });
});

describe('docs sidebar', () => {
  const titles = (items: readonly SidebarItem[]): unknown => items.map((g) => [g.text, (g.items ?? []).map((i) => i.link)]);

  test('is built from the file tree: groups by directory, known orders first, absent pages left out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'httpsession-sidebar-'));
    try {
      const page = (path: string, title: string): void => {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), `# ${title}\n\ntext\n`);
      };
      page('index.md', 'Home');
      page('getting-started.md', 'Getting started');
      page('security.md', 'Security');
      page('storage/redis.md', 'Redis');
      page('storage/memory.md', 'Memory');
      page('storage/zz-new.md', 'A store added later');
      assert.deepEqual(titles(buildSidebar(dir)), [
        ['Guide', ['/getting-started']],
        ['Storage', ['/storage/memory', '/storage/redis', '/storage/zz-new']],
        ['Reference', ['/security']],
      ]);
      page('adapters/koa.md', 'Koa');
      page('adapters/express.md', 'Express');
      page('migrating-from-express-session.md', 'Migrating from express-session');
      page('recipes/csrf.md', 'CSRF');
      const sidebar = buildSidebar(dir);
      assert.deepEqual(titles(sidebar), [
        ['Guide', ['/getting-started']],
        ['Storage', ['/storage/memory', '/storage/redis', '/storage/zz-new']],
        ['Framework adapters', ['/adapters/express', '/adapters/koa']],
        ['Migrating', ['/migrating-from-express-session']],
        ['Reference', ['/security']],
        ['Recipes', ['/recipes/csrf']],
      ]);
      assert.equal(sidebar[2]!.items![0]!.text, 'Express', 'titles come from the first heading');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs site build', () => {
  let api: Awaited<ReturnType<typeof run>>;
  let site: Awaited<ReturnType<typeof run>> | undefined;

  before(async () => {
    api = await run(['scripts/docs-api.mjs']);
    if (api.code === 0) site = await run([join(ROOT, 'node_modules', 'vitepress', 'bin', 'vitepress.js'), 'build', 'docs']);
  });

  test('every public export has a doc comment (TypeDoc notDocumented, warnings as errors)', (t) => {
    t.diagnostic(`TypeDoc: ${api.seconds.toFixed(1)} s`);
    assert.equal(api.code, 0, `scripts/docs-api.mjs failed:\n${api.output}`);
  });

  test('the site builds offline with VitePress', (t) => {
    assert.ok(site !== undefined, 'not built: the API reference failed');
    t.diagnostic(`VitePress: ${site.seconds.toFixed(1)} s`);
    assert.equal(site.code, 0, `vitepress build failed:\n${site.output}`);
  });

  test('the API reference has a page for every public subpath in package.json exports', () => {
    assert.equal(site?.code, 0, 'the site did not build');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
    const subpaths = Object.entries(pkg.exports).filter(([, target]) => typeof target === 'object').map(([subpath]) => subpath);
    assert.ok(subpaths.length >= 8);
    for (const subpath of subpaths) {
      const name = subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`;
      assert.ok(existsSync(join(DIST, 'api', `${name}.html`)), `no API page for ${name}`);
    }
  });

  test('no broken internal link or anchor in the built site', () => {
    assert.equal(site?.code, 0, 'the site did not build');
    const pages = filesUnder(DIST, '.html');
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string): Set<string> => {
      let set = ids.get(file);
      if (set === undefined) {
        set = new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => decodeHtml(m[1]!)));
        ids.set(file, set);
      }
      return set;
    };
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      const url = new URL(`http://site/${relative(DIST, page).replaceAll('\\', '/')}`);
      for (const [, attr, raw] of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
        const href = decodeHtml(raw!);
        if (href === '' || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // external
        const target = new URL(href, url);
        const path = decodeURIComponent(target.pathname);
        const candidates = path.endsWith('/') ? [`${path}index.html`] : [path, `${path}.html`, `${path}/index.html`];
        const file = candidates.map((c) => join(DIST, c)).find((c) => existsSync(c) && statSync(c).isFile());
        checked++;
        const from = relative(DIST, page);
        if (file === undefined) {
          broken.push(`${from}: ${attr}="${href}" (no such file)`);
          continue;
        }
        const fragment = decodeURIComponent(target.hash.slice(1));
        if (fragment !== '' && file.endsWith('.html') && !idsOf(file).has(fragment)) broken.push(`${from}: ${attr}="${href}" (no id "${fragment}")`);
      }
    }
    assert.ok(pages.length >= 20 && checked > 100, `checked ${checked} links on ${pages.length} pages`);
    assert.deepEqual(broken, []);
  });
});

function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(Number.parseInt(n, 16)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
