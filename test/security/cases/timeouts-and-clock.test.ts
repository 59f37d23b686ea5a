/**
 * Security checklist section 6, cases 26-28 (timeouts and clock), all on a fixed clock: the idle
 * boundary to the second, touches that extend idling but never the absolute limit, rolling renewal under
 * a new id, the remember cookie's own limits, and cookies from the future (forged with the codec under the
 * manager's own key, so only their times are wrong) or seen after the server clock jumped back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNoSession, assertReasons, bed, COOKIE, cookieValue, forge, issue, Jar, REMEMBER, sidOf, T0, visit, type Bed } from './support.ts';

/** Opens `cookie` at `T0 + at`; returns whether a session opened and the onInvalid events. */
async function at(b: Bed, m: ReturnType<Bed['manager']>, seconds: number, cookie: string | undefined, how: 'open' | 'start' = 'open') {
  b.clock.set(T0 + seconds);
  b.take();
  const v = await visit(m, cookie, how);
  return { v, opened: !v.session.isNew, events: b.take() };
}

const FUTURE = 'session creation time is in the future';

describe('security checklist 6, cases 26-28: timeouts and clock', () => {
  it('case 26: accepted at idle−1s and idle, rejected at idle+1s; touches extend idling, never the absolute limit', async () => {
    const b = bed({ idlingTimeout: 900, rollingTimeout: 0, absoluteTimeout: 2000 });
    const m = b.manager();
    const cookie = await issue(m);
    for (const [dt, ok] of [[899, true], [900, true], [901, false]] as const) {
      const r = await at(b, m, dt, cookie);
      assert.equal(r.opened, ok, `idle ${dt}`);
      if (!ok) {
        assertNoSession(r.v);
        assert.deepEqual(r.events.map((e) => [e.reason, e.detail]), [['expired', 'session idling timeout exceeded']]);
      }
    }
    // Activity every 600 s: each start() past the touch threshold touches (same id, new idling offset).
    const jar = new Jar(cookie);
    for (const dt of [600, 1200, 1800]) {
      const r = await at(b, m, dt, jar.header(), 'start');
      assert.ok(r.opened, `active at ${dt}`);
      assert.equal(r.v.lines().length, 1, `touched at ${dt}`);
      assert.equal(sidOf(cookieValue(r.v.cookie()!)), sidOf(cookieValue(cookie)), 'a touch keeps the id');
      jar.apply(r.v.lines());
    }
    assert.equal((await at(b, m, 1830, jar.header(), 'start')).v.lines().length, 0, 'no touch within the threshold');
    assert.equal((await at(b, m, 1200, cookie)).opened, false, 'the untouched copy expired at its own idle limit');
    assert.equal((await at(b, m, 2000, jar.header())).opened, true, 'idle extended by the touch at 1800');
    const late = await at(b, m, 2001, jar.header());
    assert.equal(late.opened, false, 'the absolute limit holds although the session was used 201 s ago');
    assert.deepEqual(late.events.map((e) => e.detail), ['session absolute timeout exceeded']);
  });

  it('case 27: rolling renewal at 3/4 issues a new id; absolute+1s rejects despite activity; remember limits hold', async () => {
    const b = bed({ idlingTimeout: 0, rollingTimeout: 1000, absoluteTimeout: 3000 });
    const m = b.manager();
    const cookie = await issue(m);
    assert.equal((await at(b, m, 1000, cookie)).opened, true);
    const idle = await at(b, m, 1001, cookie);
    assert.deepEqual(idle.events.map((e) => e.detail), ['session rolling timeout exceeded']);
    assert.deepEqual((await at(b, m, 750, cookie, 'start')).v.lines(), [], 'no renewal at exactly 3/4');
    const renewed = await at(b, m, 751, cookie, 'start');
    assert.equal(renewed.v.lines().length, 1);
    const next = cookieValue(renewed.v.cookie()!);
    assert.notEqual(sidOf(next), sidOf(cookieValue(cookie)), 'renewal mints a new session id');
    assert.equal(renewed.v.session.creationTime, T0, 'and keeps the creation time');
    // Continuous activity renews every 800 s, but never past the absolute timeout.
    const jar = new Jar(cookie);
    for (const dt of [800, 1600, 2400, 3000]) {
      const r = await at(b, m, dt, jar.header(), 'start');
      assert.ok(r.opened, `active at ${dt}`);
      jar.apply(r.v.lines());
    }
    const over = await at(b, m, 3001, jar.header(), 'start');
    assertNoSession(over.v);
    assert.deepEqual(over.events.map((e) => e.detail), ['session absolute timeout exceeded']);

    // Remember-me: restores a session from the remember cookie alone, within its own rolling and
    // absolute limits; re-issuing it on every restore never moves its creation time.
    const rb = bed({ remember: true, rememberSafety: 'none', idlingTimeout: 100, rememberRollingTimeout: 1000, rememberAbsoluteTimeout: 3000 });
    const rm = rb.manager();
    const login = await issue(rm, { user: 'alice' });
    const onlyRemember = (header: string): string => `${REMEMBER}=${cookieValue(header, REMEMBER)}`;
    let remember = onlyRemember(login);
    for (const dt of [900, 1800, 2700]) {
      const r = await at(rb, rm, dt, remember);
      assert.ok(r.opened, `restored at ${dt}`);
      assert.equal(r.v.session.get('user'), 'alice');
      remember = onlyRemember(r.v.cookie()!);
    }
    const past = await at(rb, rm, 3001, remember);
    assertNoSession(past.v);
    assert.deepEqual(past.events.map((e) => [e.cookie, e.reason, e.detail]), [['remember', 'expired', 'session remember absolute timeout exceeded']]);
    const unused = await at(rb, rm, 1001, onlyRemember(login));
    assert.deepEqual(unused.events.map((e) => e.detail), ['session remember rolling timeout exceeded']);
  });

  it('case 28: a creation time 1 h in the future → no session; 59-60 s ahead accepted, 61 s rejected', async () => {
    const b = bed();
    const m = b.manager();
    const cases: Array<[string, Parameters<typeof forge>[0], boolean]> = [
      ['created 1 h ahead', { creationTime: T0 + 3600 }, false],
      ['created 61 s ahead', { creationTime: T0 + 61 }, false],
      ['created 60 s ahead', { creationTime: T0 + 60 }, true],
      ['created 59 s ahead', { creationTime: T0 + 59 }, true],
      ['last renewed 61 s ahead', { creationTime: T0 - 100, rollingOffset: 161 }, false],
      ['last touched 61 s ahead', { creationTime: T0 - 100, rollingOffset: 50, idlingOffset: 111 }, false],
      ['last touched 60 s ahead', { creationTime: T0 - 100, rollingOffset: 50, idlingOffset: 110 }, true],
    ];
    for (const [label, fields, ok] of cases) {
      const r = await at(b, m, 0, `${COOKIE}=${forge(fields).value}`);
      assert.equal(r.opened, ok, label);
      if (ok) assert.deepEqual(r.v.session.getData(), { forged: true }, label);
      else {
        assertNoSession(r.v, label);
        assertReasons(r.events, ['expired'], label);
        assert.equal(r.events[0]!.detail, FUTURE, label);
      }
    }
  });

  it('case 28: the server clock jumping back 1 h refuses the cookie saved "later", without crashing', async () => {
    const b = bed();
    const m = b.manager();
    const cookie = await issue(m, { user: 'alice' });
    for (const how of ['open', 'start'] as const) {
      const r = await at(b, m, -3600, cookie, how);
      assertNoSession(r.v, how);
      assert.deepEqual(r.events.map((e) => [e.reason, e.detail]), [['expired', FUTURE]]);
    }
    const fresh = await at(b, m, -3600, undefined);
    fresh.v.session.set('n', 1);
    await fresh.v.session.save(); // the server keeps working on its (wrong) clock
    assert.equal((await at(b, m, -3590, fresh.v.cookie())).opened, true);
    assert.equal((await at(b, m, 10, cookie)).opened, true, 'once the clock is right again, the cookie opens');
  });

  it('case 28: header times at the field extremes (creation 0, 2^40−1, maximal offsets) → rejected', async () => {
    const b = bed();
    const m = b.manager();
    const cases: Array<[Parameters<typeof forge>[0], string]> = [
      [{ creationTime: 0 }, 'session absolute timeout exceeded'],
      [{ creationTime: 2 ** 40 - 1 }, FUTURE],
      [{ creationTime: 2 ** 40 - 1, rollingOffset: 2 ** 32 - 1, idlingOffset: 2 ** 24 - 1 }, FUTURE],
      [{ creationTime: T0, rollingOffset: 2 ** 32 - 1 }, FUTURE],
      [{ creationTime: T0, idlingOffset: 2 ** 24 - 1 }, FUTURE],
      [{ creationTime: T0 - 86_401, rollingOffset: 86_401 }, 'session absolute timeout exceeded'],
    ];
    for (const [fields, detail] of cases) {
      const r = await at(b, m, 0, `${COOKIE}=${forge(fields).value}`);
      assertNoSession(r.v, JSON.stringify(fields));
      assert.deepEqual(r.events.map((e) => [e.reason, e.detail]), [['expired', detail]], JSON.stringify(fields));
    }
    // The same extremes with every timeout disabled: the future is still refused.
    const off = b.manager({ idlingTimeout: 0, rollingTimeout: 0, absoluteTimeout: 0 });
    for (const fields of [{ creationTime: 2 ** 40 - 1 }, { creationTime: T0, rollingOffset: 2 ** 32 - 1 }]) {
      const r = await at(b, off, 0, `${COOKIE}=${forge(fields).value}`);
      assertNoSession(r.v);
      assert.equal(r.events[0]?.detail, FUTURE);
    }
  });
});
