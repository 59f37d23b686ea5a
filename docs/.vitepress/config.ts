/**
 * VitePress configuration of the httpsession docs site (`npm run docs:build`, `npm run docs:dev`).
 * The sidebar comes from the file tree (./sidebar.ts); the API reference under /api/ is generated from
 * the TSDoc by scripts/docs-api.mjs before VitePress runs. Everything is built offline: local search, no
 * external fonts, scripts or images.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { repoLinks } from './repo-links.ts';
import { buildSidebar } from './sidebar.ts';

/**
 * Heading ids as GitHub makes them (lower case, punctuation dropped, spaces to `-`), so that a
 * `page.md#section` link works on GitHub and on the site alike; except that `_` also becomes `-`, as
 * with VitePress's own slugs, which TypeDoc's Markdown links assume.
 */
export function headingSlug(heading: string): string {
  return heading.trim().toLowerCase().replace(/<[^>]*>/g, '').replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/[ _]/g, '-');
}

const docs = dirname(dirname(fileURLToPath(import.meta.url)));

export default defineConfig({
  title: 'httpsession',
  description: 'Framework-agnostic HTTP sessions for Node.js and Fetch runtimes, byte-compatible with lua-resty-session 4.',
  lang: 'en',
  base: process.env.DOCS_BASE ?? '/',
  lastUpdated: false,
  // A link to a page that does not exist fails the build (and test/docs/site.test.ts checks the output too).
  ignoreDeadLinks: false,
  srcExclude: ['**/README.md'],
  head: [['meta', { name: 'theme-color', content: '#2f6fdf' }]],
  markdown: {
    anchor: { slugify: headingSlug },
    config(md) {
      md.use(repoLinks);
    },
  },
  themeConfig: {
    nav: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Concepts', link: '/concepts/storage' },
      { text: 'Guide', link: '/guide' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: buildSidebar(docs),
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: { message: 'MIT licensed', copyright: 'httpsession' },
    docFooter: { prev: 'Previous', next: 'Next' },
  },
  vite: {
    // The site has no client-side code of its own; large chunks are VitePress's search and theme.
    build: { chunkSizeWarningLimit: 2000 },
  },
});
