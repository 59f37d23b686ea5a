/**
 * The Session lifecycle over fileStorage(), end to end through the Fetch transport: the cookie carries only
 * the header, the record lives in a file, a re-save keeps the old cookie working for `staleTtl` seconds,
 * regenerate and destroy kill the old cookie at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { base64urlEncode } from '../../src/codec/base64url.ts';
import { Flags } from '../../src/codec/header.ts';
import type { SessionManager } from '../../src/manager.ts';
import { fileStorage } from '../../src/storage/file.ts';
import { bed, Client, headerOf, isExpiry, lineFor, T0, valueOf, visit } from '../helpers/session.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'httpsession-session-file-'));
});
after(() => rm(root, { recursive: true, force: true }));

/** The data the client's cookie opens to, or undefined when it opens no session. */
async function reads(m: SessionManager, client: Client): Promise<Record<string, unknown> | undefined> {
  const x = await client.clone().open(m);
  return x.session.isNew ? undefined : x.session.getData();
}

/** The record file name of the session whose Set-Cookie lines are given. */
const recordOf = (lines: readonly string[]): string => `session_${base64urlEncode(headerOf(lines).sid)}`;

describe('session lifecycle over fileStorage()', () => {
  it('save, reopen, re-save within staleTtl, regenerate and destroy', async () => {
    const directory = join(root, 'sessions');
    const storage = fileStorage({ directory, sweepProbability: 0 });
    const b = bed({ storage, staleTtl: 5 });
    const m = b.manager();
    const client = new Client();

    // save: the cookie is the 110-character header alone, flagged "storage"; the record is a file.
    const first = await visit(client, m, async (s) => {
      s.set('user', 'alice');
      await s.save();
    });
    const v1 = valueOf(first.lines, 'session');
    assert.equal(v1.length, 110);
    assert.equal(headerOf(first.lines).flags & Flags.storage, Flags.storage);
    assert.deepEqual(await readdir(directory), [recordOf(first.lines)]);

    // reopen: the data comes back from the file.
    assert.deepEqual(await reads(m, client), { user: 'alice' });

    // save again: a new record; the old cookie still opens within staleTtl, then not.
    const old = client.clone();
    b.clock.set(T0 + 100);
    const second = await visit(client, m, async (s) => {
      s.set('user', 'alice2');
      await s.save();
    });
    assert.notEqual(recordOf(second.lines), recordOf(first.lines));
    assert.deepEqual((await readdir(directory)).sort(), [recordOf(first.lines), recordOf(second.lines)].sort());
    b.clock.set(T0 + 104);
    assert.deepEqual(await reads(m, old), { user: 'alice' });
    assert.deepEqual(await reads(m, client), { user: 'alice2' });
    b.clock.set(T0 + 105);
    b.invalid.take();
    assert.equal(await reads(m, old), undefined);
    assert.deepEqual(b.invalid.take().map((e) => e.reason), ['not-found']);
    assert.deepEqual(await readdir(directory), [recordOf(second.lines)], 'the expired record was removed on read');

    // regenerate: a new id, the data kept, and the pre-regenerate cookie dead at once (no stale window).
    const beforeRegenerate = client.clone();
    const third = await visit(client, m, async (s) => {
      await s.regenerate();
    });
    assert.notEqual(recordOf(third.lines), recordOf(second.lines));
    assert.deepEqual(await reads(m, client), { user: 'alice2' });
    assert.equal(await reads(m, beforeRegenerate), undefined);
    assert.deepEqual(await readdir(directory), [recordOf(third.lines)]);

    // destroy: the cookie is expired, the record file deleted, and a copy of the cookie opens nothing.
    const stolen = client.clone();
    const fourth = await visit(client, m, (s) => s.destroy());
    assert.ok(isExpiry(lineFor(fourth.lines, 'session')));
    assert.deepEqual(await readdir(directory), []);
    assert.equal(await reads(m, stolen), undefined);
    await storage.close();
  });

  it('with storeMetadata, the subject index lists the current session only', async () => {
    const directory = join(root, 'indexed');
    const storage = fileStorage({ directory, sweepProbability: 0 });
    const b = bed({ storage, storeMetadata: true, subject: 'alice', audience: 'shop' });
    const m = b.manager();
    const client = new Client();
    const first = await visit(client, m, (s) => s.save());
    b.clock.set(T0 + 10);
    const second = await visit(client, m, (s) => s.save());
    const encode = (text: string): string => base64urlEncode(new TextEncoder().encode(text));
    const listed = await storage.readMetadata('session', encode('shop'), encode('alice'), b.clock.now());
    assert.deepEqual([...listed.keys()], [recordOf(second.lines).slice('session_'.length)]);
    assert.notEqual(recordOf(first.lines), recordOf(second.lines));
    await storage.close();
  });
});
