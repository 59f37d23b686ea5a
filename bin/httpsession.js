#!/usr/bin/env node
// The `httpsession` command: runs the compiled CLI (src/cli.ts → dist/cli.js). See docs/cli.md.
import { main } from '../dist/cli.js';

try {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
} catch (err) {
  process.stderr.write(`httpsession: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 70;
}
