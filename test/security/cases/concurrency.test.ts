/**
 * Security checklist section 6, cases 34-36 (concurrency): a request that loaded a session before another
 * request logged it out cannot resurrect it (SESSION_REVOKED, no Set-Cookie, nothing left in the store);
 * parallel saves never corrupt or mix sessions (last-writer-wins per client, as documented); two requests
 * renewing the same cookie both succeed, and the replaced id lives `staleTtl` seconds, then not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSessionError } from '../../../src/errors.ts';
import { assertNoSession, backends, bed, cookieValue, docsText, issue, sidOf, T0, visit } from './support.ts';

const BACKENDS = await backends();
const SERVER_BACKENDS = BACKENDS.filter((b) => b.name !== 'cookie storage + revocation store');

describe('security checklist 6, cases 34-36: concurrency', () => {
  for (const backend of BACKENDS) {
    it(`case 34: resurrection race → A's save rejects SESSION_REVOKED, writes nothing, stays logged out (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { options, storage, records, release } = await backend.create();
      try {
        const b = bed(options);
        const m = b.manager();
        const cookie = await issue(m, { user: 'alice' }, 'alice');
        const a = await visit(m, cookie); // request A loads the session and works on it...
        assert.equal(a.session.get('user'), 'alice');
        const logout = await visit(m, cookie); // ...meanwhile request B logs out
        await logout.session.logout();
        const afterLogout = await records();
        a.session.set('cart', ['book']);
        await assert.rejects(a.session.save(), (err: unknown) => {
          assert.ok(isSessionError(err, 'SESSION_REVOKED'), `expected SESSION_REVOKED, got ${String(err)}`);
          return true;
        });
        assert.deepEqual(a.lines(), [], 'A wrote no Set-Cookie');
        assert.equal(await records(), afterLogout, 'the record A wrote was withdrawn (or never written)');
        if (storage !== undefined) assert.equal(afterLogout, 0, 'the store holds nothing for the logged-out session');
        await assert.rejects(a.session.regenerate(), (err: unknown) => isSessionError(err, 'SESSION_REVOKED'));
        for (const replay of [cookie, a.cookie()]) {
          if (replay === undefined) continue;
          assertNoSession(await visit(m, replay), 'the session stays logged out');
        }
        b.take();
        // A touch from A re-sends the old id only, which is just as dead.
        assert.equal(a.session.touch(), true);
        assertNoSession(await visit(m, a.cookie()!), 'the touched cookie');
        assert.deepEqual(b.take().map((e) => e.reason), [storage === undefined ? 'revoked' : 'not-found']);
      } finally {
        await release();
      }
    });
  }

  for (const backend of BACKENDS) {
    it(`case 35: 50 parallel saves of different sessions all persist, none mixed (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { options, release } = await backend.create();
      try {
        const m = bed(options).manager();
        const visits = await Promise.all(Array.from({ length: 50 }, () => visit(m)));
        await Promise.all(visits.map((v, i) => (v.session.setData({ i, owner: `user-${i}`, blob: String(i).repeat(200) }), v.session.save())));
        const opened = await Promise.all(visits.map((v) => visit(m, v.cookie())));
        opened.forEach((o, i) => assert.deepEqual(o.session.getData(), { i, owner: `user-${i}`, blob: String(i).repeat(200) }, `session ${i}`));
        assert.equal(new Set(visits.map((v) => sidOf(cookieValue(v.cookie()!)))).size, 50);
      } finally {
        await release();
      }
    });

    it(`case 35: 50 parallel saves of one session each persist their own key; no merge, no mix (${backend.name})`, { skip: backend.skip ?? false }, async () => {
      const { options, release } = await backend.create();
      try {
        const m = bed(options).manager();
        const cookie = await issue(m, { base: true });
        const visits = await Promise.all(Array.from({ length: 50 }, () => visit(m, cookie)));
        const results = await Promise.allSettled(visits.map((v, i) => (v.session.set(`k${i}`, i), v.session.save())));
        assert.deepEqual(results.filter((r) => r.status === 'rejected'), [], 'every save succeeded');
        const opened = await Promise.all(visits.map((v) => visit(m, v.cookie())));
        opened.forEach((o, i) => assert.deepEqual(o.session.getData(), { base: true, [`k${i}`]: i }, `client ${i} sees its own write only`));
        assert.deepEqual((await visit(m, cookie)).session.getData(), { base: true }, 'the replaced session is intact within staleTtl');
      } finally {
        await release();
      }
    });
  }

  it('case 35: the docs state that concurrent saves are last-writer-wins', () => {
    assert.match(docsText(), /last-writer-wins/);
  });

  for (const backend of SERVER_BACKENDS.filter((b) => b.name !== 'redis store')) {
    it(`case 36: two requests renew the same cookie together → both succeed; the old id lives staleTtl, then not (${backend.name})`, async () => {
      const { options, release } = await backend.create();
      try {
        const b = bed({ ...options, idlingTimeout: 0, rollingTimeout: 1000, staleTtl: 10 });
        const m = b.manager();
        const cookie = await issue(m, { user: 'alice' });
        b.clock.set(T0 + 751); // past 3/4 of the rolling timeout: start() saves under a new id
        const [one, two] = await Promise.all([visit(m, cookie, 'start'), visit(m, cookie, 'start')]);
        const renewed = [one!.cookie()!, two!.cookie()!];
        assert.equal(one!.lines().length, 1);
        assert.equal(two!.lines().length, 1);
        const ids = renewed.map((c) => sidOf(cookieValue(c)));
        assert.equal(new Set([sidOf(cookieValue(cookie)), ...ids]).size, 3, 'two new ids');
        for (const [dt, oldOpens] of [[9, true], [10, false]] as const) {
          b.clock.set(T0 + 751 + dt);
          b.take();
          const old = await visit(m, cookie);
          assert.equal(old.session.isNew, !oldOpens, `the old id at staleTtl ${dt === 9 ? '- 1' : ''}`);
          if (!oldOpens) assert.deepEqual(b.take().map((e) => e.reason), ['not-found']);
          for (const c of renewed) assert.equal((await visit(m, c)).session.get('user'), 'alice', `a renewed cookie at +${dt}`);
        }
      } finally {
        await release();
      }
    });
  }
});
