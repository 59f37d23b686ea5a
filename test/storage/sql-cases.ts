/**
 * Cases both SQL stores' own tests run (PostgreSQL and MySQL): the sweep, and the shipped schema file.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { SqlStorage } from '../../src/storage/sql.ts';

/**
 * Five records (three expiring at +10 s, two at +100 s) under one subject: the sweep deletes the expired
 * ones in batches of `limit`, and their index rows go with them.
 * @param s - a store over fresh tables
 * @param indexKeys - the keys the index table holds, sorted
 */
export async function checkSweep(s: SqlStorage, indexKeys: () => Promise<string[]>): Promise<void> {
  const t = Math.floor(Date.now() / 1000);
  const metadata = { audiences: ['YXBw'], subjects: ['YWxpY2U'] };
  const keys = Array.from({ length: 5 }, (_, i) => String(i).repeat(43));
  for (const [i, key] of keys.entries()) await s.set({ namespace: 'session', key, value: '[""]', ttl: i < 3 ? 10 : 100, now: t, metadata });
  assert.equal(await s.sweep({ now: t + 5 }), 0);
  assert.equal(await s.sweep({ now: t + 20, limit: 2 }), 2);
  assert.equal(await s.sweep({ now: t + 20, limit: 2 }), 1);
  assert.equal(await s.sweep({ now: t + 20 }), 0);
  assert.deepEqual(await indexKeys(), keys.slice(3));
  assert.deepEqual([...(await s.readMetadata('session', 'YXBw', 'YWxpY2U', t + 20)).keys()].sort(), keys.slice(3));
}

/**
 * Checks that a shipped SQL file holds exactly `statements` (after its leading comment lines).
 * @param file - the file, relative to the repository root, e.g. `sql/postgres.sql`
 * @param statements - what the schema function returns for the default names
 */
export async function checkSchemaFile(file: string, statements: readonly string[]): Promise<void> {
  const text = await readFile(new URL(`../../${file}`, import.meta.url), 'utf8');
  const lines = text.split('\n');
  const body = lines.slice(lines.findIndex((line) => !line.startsWith('-- '))).join('\n');
  assert.equal(body, `${statements.join(';\n\n')};\n`);
}
