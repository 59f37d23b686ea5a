/**
 * The docs site's sidebar, built from the files under docs/ each time the site is built or served, so a
 * page added later (a new store, a new adapter, a migration guide) appears without editing the config,
 * and a page that is not there yet is simply not listed.
 *
 * - Pages at the top of docs/ go to a group by name: `migrating-*` to "Migrating", known reference pages to
 *   "Reference", the rest to "Guide". Each directory is a group of its own (`concepts/`, `storage/`,
 *   `adapters/`, and any directory added later), titled from a known list or from its name.
 * - A page's title is its front matter `title`, else its first `# ` heading, else its file name.
 * - Order: the known orders below first, then the rest alphabetically.
 * - `api/` (TypeDoc's output, generated at build time) uses the sidebar TypeDoc writes next to it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One sidebar entry (the shape VitePress's default theme reads). */
export interface SidebarItem {
  text: string;
  link?: string;
  items?: SidebarItem[];
  collapsed?: boolean;
}

/** Directories (and pages) that never appear as groups: VitePress's own, static assets, TypeDoc's output. */
const HIDDEN = new Set(['.vitepress', 'public', 'api', 'node_modules', 'index.md']);

/** Group titles and page orders that read better than the alphabet; anything not listed comes after. */
const GROUPS: Record<string, { text: string; order: string[] }> = {
  guide: { text: 'Guide', order: ['getting-started', 'guide'] },
  concepts: { text: 'Concepts', order: ['storage', 'timeouts', 'audiences', 'remember-me', 'rotation', 'revocation'] },
  storage: { text: 'Storage', order: ['memory', 'file', 'redis', 'postgres', 'mysql', 'memcached'] },
  adapters: { text: 'Framework adapters', order: ['express', 'koa', 'fastify', 'hono', 'h3', 'next'] },
  migrating: { text: 'Migrating', order: ['migrating-from-express-session', 'migrating-from-iron-session'] },
  reference: { text: 'Reference', order: ['security', 'wire-format', 'lua-resty-session', 'benchmarks', 'cli'] },
};
/** The order of the groups; directories not listed here come after, alphabetically. */
const GROUP_ORDER = ['guide', 'concepts', 'storage', 'adapters', 'migrating', 'reference'];

/** The title of a Markdown page: front matter `title:`, else the first `# ` heading, else the file name. */
export function pageTitle(file: string): string {
  const text = readFileSync(file, 'utf8');
  const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1];
  const fromFront = front === undefined ? undefined : /^title:\s*(.+)$/m.exec(front)?.[1]?.trim().replace(/^(['"])(.*)\1$/, '$2');
  const heading = /^# (.+)$/m.exec(text)?.[1]?.trim();
  return fromFront ?? heading ?? file.replace(/^.*\//, '').replace(/\.md$/, '');
}

function byOrder(order: readonly string[]): (a: string, b: string) => number {
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  return (a, b) => rank(a) - rank(b) || a.localeCompare(b);
}

/** The group a page at the top of docs/ belongs to. */
function topGroup(name: string): string {
  if (name.startsWith('migrating')) return 'migrating';
  if (GROUPS.reference!.order.includes(name)) return 'reference';
  return 'guide';
}

const titleCase = (name: string): string => name.replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The API reference's entries, one per public subpath: the pages in TypeDoc's sidebar, when generated. */
function apiItems(docs: string): SidebarItem[] {
  const file = join(docs, 'api', 'typedoc-sidebar.json');
  if (!existsSync(file)) return [];
  const links: string[] = [];
  const collect = (items: readonly SidebarItem[]): void => {
    for (const item of items) {
      if (item.link !== undefined) links.push(item.link.replace(/\.md$/, ''));
      if (item.items !== undefined) collect(item.items);
    }
  };
  collect(JSON.parse(readFileSync(file, 'utf8')) as SidebarItem[]);
  // `/api/httpsession/storage/memory` reads `httpsession/storage/memory`: the import specifier.
  const modules = links.sort().map((link) => ({ text: link.replace(/^\/api\//, ''), link }));
  return [{ text: 'Overview', link: '/api/' }, ...modules];
}

/**
 * Builds the sidebar from the Markdown files under `docs`.
 * @param docs - the docs directory (VitePress's source directory)
 * @returns the groups, in reading order; empty groups are left out
 */
export function buildSidebar(docs: string): SidebarItem[] {
  const groups = new Map<string, SidebarItem[]>();
  const add = (group: string, item: SidebarItem): void => void (groups.get(group) ?? groups.set(group, []).get(group)!).push(item);
  const entries = readdirSync(docs, { withFileTypes: true }).filter((e) => !HIDDEN.has(e.name) && !e.name.startsWith('.'));
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.md')) {
      const name = entry.name.slice(0, -3);
      add(topGroup(name), { text: pageTitle(join(docs, entry.name)), link: `/${name}` });
    } else if (entry.isDirectory()) {
      for (const page of readdirSync(join(docs, entry.name)).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3))) {
        const link = page === 'index' ? `/${entry.name}/` : `/${entry.name}/${page}`;
        add(entry.name, { text: pageTitle(join(docs, entry.name, `${page}.md`)), link });
      }
    }
  }
  const sidebar: SidebarItem[] = [];
  for (const key of [...groups.keys()].sort(byOrder(GROUP_ORDER))) {
    const order = GROUPS[key]?.order ?? [];
    const items = groups.get(key)!;
    // A directory's index page (`/concepts/`) sorts as '' (first); the others by file name.
    const name = (item: SidebarItem): string => (item.link!.endsWith('/') ? '' : item.link!.slice(item.link!.lastIndexOf('/') + 1));
    items.sort((a, b) => byOrder(order)(name(a), name(b)));
    sidebar.push({ text: GROUPS[key]?.text ?? titleCase(key), items });
  }
  const api = apiItems(docs);
  if (api.length > 0) sidebar.push({ text: 'API reference', collapsed: true, items: api });
  return sidebar;
}
