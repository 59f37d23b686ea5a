// Checks what `npm pack` would publish: the built entry points and types are in, sources and tests are
// out, and the tarball stays small. Prints the size for the release notes.
import { execFileSync } from 'node:child_process';

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }));
const files = new Set(pack.files.map((f) => f.path));
const required = [
  'package.json',
  'README.md',
  'LICENSE',
  'bin/httpsession.js',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/http/node.js',
  'dist/http/fetch.js',
  'dist/storage/memory.js',
  'dist/storage/memory.d.ts',
  'dist/testing/index.js',
  'dist/testing/index.d.ts',
  'dist/cli.js',
];
const missing = required.filter((f) => !files.has(f));
const unwanted = [...files].filter((f) => /^(src|test|bench|examples|scripts|docs)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'));
console.log(`npm pack: ${pack.files.length} files, ${pack.size} bytes packed, ${pack.unpackedSize} bytes unpacked`);
if (missing.length > 0 || unwanted.length > 0) {
  if (missing.length > 0) console.error(`missing from the package: ${missing.join(', ')}`);
  if (unwanted.length > 0) console.error(`should not be in the package: ${unwanted.join(', ')}`);
  process.exit(1);
}
// Every subpath export resolves to a packed file.
const pkg = JSON.parse(execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { encoding: 'utf8' }));
for (const [subpath, target] of Object.entries(pkg.exports)) {
  const paths = typeof target === 'string' ? [target] : Object.values(target);
  for (const p of paths) {
    if (!files.has(p.replace(/^\.\//, ''))) {
      console.error(`export ${subpath} points at ${p}, which is not packed`);
      process.exit(1);
    }
  }
}
console.log('npm pack: contents ok');
