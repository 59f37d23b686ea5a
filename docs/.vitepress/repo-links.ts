/**
 * A markdown-it plugin: a relative link from a docs page to a file outside docs/ (`../bench/`,
 * `../examples/demo.ts`) works on GitHub but has no page on the site. On the site it becomes the path
 * in code, with a title saying where it is, instead of a dead link.
 */
import { dirname, join, normalize, relative } from 'node:path';
import type MarkdownIt from 'markdown-it';

type Env = { relativePath?: string; repoLinkStack?: boolean[] };

/** The repository path a link target points at, when it leaves docs/; `undefined` for links inside. */
export function outsideDocs(page: string, href: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:|^#|^\//i.test(href)) return undefined; // absolute URLs, anchors, site paths
  const target = normalize(join('docs', dirname(page), href.replace(/[?#].*$/, '')));
  const fromDocs = relative('docs', target);
  return fromDocs.startsWith('..') ? target.replace(/^(\.\.\/)+/, '') : undefined;
}

/** Installs the rule (link targets are resolved against the page's path under docs/). */
export function repoLinks(md: MarkdownIt): void {
  const open = md.renderer.rules.link_open ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
  const close = md.renderer.rules.link_close ?? ((tokens, i, options, _env, self) => self.renderToken(tokens, i, options));
  md.renderer.rules.link_open = (tokens, i, options, env: Env, self) => {
    const href = tokens[i]!.attrGet('href') ?? '';
    const path = outsideDocs(env.relativePath ?? '', href);
    (env.repoLinkStack ??= []).push(path !== undefined);
    if (path === undefined) return open(tokens, i, options, env, self);
    return `<span class="repo-path" title="${md.utils.escapeHtml(`in the repository: ${path}`)}">`;
  };
  md.renderer.rules.link_close = (tokens, i, options, env: Env, self) => {
    const wasRepo = env.repoLinkStack?.pop() ?? false;
    return wasRepo ? '</span>' : close(tokens, i, options, env, self);
  };
}
