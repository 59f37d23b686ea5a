/**
 * httpsession, file store: the cookie carries only the 110-character header; every save writes a new
 * record file (temp file + rename) and shortens the old one to `staleTtl`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countingHandler, createSessionManager, fileStorage } from './lib.ts';
import { main, SECRET, serve } from './common.ts';

main(async () => {
  const storage = fileStorage({ directory: mkdtempSync(join(tmpdir(), 'httpsession-bench-')) });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(countingHandler(sessions));
});
