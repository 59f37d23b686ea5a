// The shared storage conformance suite, run against the file store in a fresh temporary directory.
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../../src/storage/file.ts';
import { storageConformance } from '../../src/testing/index.ts';

describe('file storage: conformance', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'httpsession-conformance-'));
    // A regular file: a store whose directory lies beneath it fails every operation with ENOTDIR.
    await writeFile(join(root, 'not-a-directory'), 'x');
  });
  after(() => rm(root, { recursive: true, force: true }));

  const cases = storageConformance({
    name: 'file',
    create: (prefix) => fileStorage({ directory: join(root, 'store'), prefix }),
    createBroken: () => fileStorage({ directory: join(root, 'not-a-directory', 'sessions') }),
    reportsOldKeyLive: true,
  });
  for (const c of cases) it(c.name, c.run);
});
