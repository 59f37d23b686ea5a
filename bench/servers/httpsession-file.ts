/**
 * httpsession, file store: the cookie carries only the 110-character header; every save writes a new
 * record file (temp file + rename) and shortens the old one to `staleTtl`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSessionManager, fileStorage } from './lib.ts';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const storage = fileStorage({ directory: mkdtempSync(join(tmpdir(), 'httpsession-bench-')) });
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node', storage });
  await serve(async (req, res) => {
    const session = await sessions.start(req, res);
    const n = (session.get('n') ?? 0) + 1;
    session.set('n', n);
    await session.save();
    reply(res, n);
  });
});
