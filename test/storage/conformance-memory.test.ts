// The shared storage conformance suite, run against the memory store.
import { describe, it } from 'node:test';
import { memoryStorage } from '../../src/storage/memory.ts';
import { storageConformance } from '../../src/testing/index.ts';

describe('memory storage: conformance', () => {
  for (const c of storageConformance({ name: 'memory', create: (prefix) => memoryStorage({ prefix }), reportsOldKeyLive: true })) it(c.name, c.run);
});
