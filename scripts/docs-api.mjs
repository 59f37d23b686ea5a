#!/usr/bin/env node
// Generates the API reference (Markdown for the docs site, under docs/api/) from the TSDoc of every public
// subpath in package.json `exports`, read here so that a new subpath is included without editing this
// script. Fails (exit 1) when an exported declaration has no doc comment: TypeDoc's `notDocumented`
// validation, with its warnings treated as errors.
//
//   node scripts/docs-api.mjs            # writes docs/api/
//   node scripts/docs-api.mjs --check    # validation only, writes nothing
import { readFileSync, rmSync } from 'node:fs';
import { Application, ReflectionKind } from 'typedoc';

const root = new URL('../', import.meta.url);
process.chdir(new URL('.', root).pathname);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const checkOnly = process.argv.includes('--check');

/** Public subpaths: `{ name: 'httpsession/storage/memory', file: 'src/storage/memory.ts' }`, from the types conditions. */
export function publicEntries() {
  const out = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'object' && target !== null ? target.types : undefined;
    if (typeof types !== 'string') continue; // ./package.json
    const file = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts');
    out.push({ name: subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`, file });
  }
  return out;
}

const entries = publicEntries();
const app = await Application.bootstrapWithPlugins({
  entryPoints: entries.map((e) => e.file),
  entryPointStrategy: 'resolve',
  tsconfig: 'tsconfig.build.json',
  plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
  out: 'docs/api',
  docsRoot: 'docs',
  readme: 'none',
  name: `${pkg.name} API`,
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  disableSources: true,
  hideGenerator: true,
  hidePageHeader: true,
  hideBreadcrumbs: true,
  useCodeBlocks: true,
  useHTMLAnchors: true, // explicit ids for TypeDoc's own links, whatever the heading slugger
  outputFileStrategy: 'modules', // one page per subpath: fewer, longer pages, and a faster site build
  sanitizeComments: true,
  validation: { notExported: false, invalidLink: true, notDocumented: true },
  treatValidationWarningsAsErrors: true,
  // Every exported declaration, and the methods and accessors of exported classes and interfaces (the
  // API's verbs). Properties of option bags and records are documented where they need it; not required.
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias', 'Method', 'Accessor'],
  logLevel: 'Warn',
});

const project = await app.convert();
if (project === undefined) process.exit(1);

// Name each module after its import specifier (`httpsession/storage/memory`), not its file path
// (TypeDoc's name is the path under src/ without `.ts` or `/index.ts`).
const names = new Map(entries.map((e) => [e.file.replace(/^src\//, '').replace(/(\/index)?\.ts$/, ''), e.name]));
for (const child of project.children ?? []) {
  if (child.kindOf(ReflectionKind.Module) && names.has(child.name)) child.name = names.get(child.name);
}

app.validate(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) {
  console.error('docs-api: the TSDoc of the public exports has problems (see above): every export needs a doc comment');
  process.exit(1);
}
if (checkOnly) process.exit(0);
rmSync('docs/api', { recursive: true, force: true });
await app.generateOutputs(project);
if (app.logger.hasErrors()) process.exit(1);
console.log(`docs-api: docs/api/ for ${entries.map((e) => e.name).join(', ')}`);
