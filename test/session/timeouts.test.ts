/**
 * Session timeouts (spec 4) with a fixed clock and cookie storage: the idling, rolling and absolute
 * limits, touch, the 3/4 refresh rule, per-session timeouts, remaining times, and remember-me.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Flags } from '../../src/codec/header.ts';
import type { SessionManager } from '../../src/manager.ts';
import { bed, Client, headerOf, isExpiry, lineFor, T0, visit, type Bed } from '../helpers/session.ts';

/** Saves a new session holding `data` at the bed's current time; returns the client holding its cookie. */
async function login(m: SessionManager, data: Record<string, unknown> = { user: 'ada' }): Promise<Client> {
  const client = new Client();
  await visit(client, m, async (s) => {
    s.setData(data);
    await s.save();
  });
  return client;
}

/** Opens the client's session at `at`; returns whether it existed, plus what the hook reported. */
async function alive(b: Bed, m: SessionManager, client: Client, at: number): Promise<{ exists: boolean; detail: string | undefined }> {
  b.clock.set(at);
  b.invalid.take();
  const { result } = await visit(client.clone(), m, (s) => !s.isNew);
  const events = b.invalid.take();
  return { exists: result, detail: events[0]?.detail };
}

describe('idling timeout', () => {
  it('accepts a session at exactly +900 and rejects it at +901 as idle', async () => {
    const b = bed();
    const m = b.manager();
    const client = await login(m);
    assert.deepEqual(await alive(b, m, client, T0 + 900), { exists: true, detail: undefined });
    assert.deepEqual(await alive(b, m, client, T0 + 901), { exists: false, detail: 'session idling timeout exceeded' });
    assert.equal(b.invalid.events.length, 0);
  });

  it('an expired session yields a new, empty session and reports the reason to onInvalid', async () => {
    const b = bed();
    const m = b.manager();
    const client = await login(m, { user: 'ada' });
    b.clock.set(T0 + 901);
    const { x } = await visit(client, m, (s) => {
      assert.equal(s.isNew, true);
      assert.equal(s.get('user'), undefined);
    });
    assert.deepEqual(b.invalid.events, [{ reason: 'expired', cookie: 'session', detail: 'session idling timeout exceeded' }]);
    assert.deepEqual(x.setCookies(), []);
  });

  it('touch extends the idle time but never the absolute limit', async () => {
    const b = bed();
    const m = b.manager({ absoluteTimeout: 2000 });
    const client = await login(m);
    for (const at of [800, 1600]) {
      b.clock.set(T0 + at);
      const { lines } = await visit(client, m, (s) => assert.equal(s.touch(), true));
      assert.equal(headerOf(lines).idlingOffset, at);
    }
    // Idle since +1600: 2400 would be past the idle limit of the original cookie, not of the touched one.
    assert.deepEqual(await alive(b, m, client, T0 + 2000), { exists: true, detail: undefined });
    assert.deepEqual(await alive(b, m, client, T0 + 2001), { exists: false, detail: 'session absolute timeout exceeded' });
  });

  it('a per-session setIdlingTimeout(1800) persists across requests', async () => {
    const b = bed();
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.setIdlingTimeout(1800);
      assert.equal(s.timeouts.idling, 1800);
      await s.save();
    });
    b.clock.set(T0 + 1700);
    await visit(client.clone(), m, (s) => {
      assert.equal(s.isNew, false);
      assert.deepEqual(s.timeouts, { idling: 1800, rolling: 3600, absolute: 86400 });
      assert.equal(s.timeRemaining().idling, 100);
      assert.deepEqual(s.names(), [], 'the override is not an attribute');
    });
    assert.deepEqual(await alive(b, m, client, T0 + 1801), { exists: false, detail: 'session idling timeout exceeded' });
  });

  it('setIdlingTimeout(0) means the session never idles out', async () => {
    const b = bed();
    const m = b.manager();
    const client = new Client();
    await visit(client, m, async (s) => {
      s.setIdlingTimeout(0);
      await s.save();
    });
    b.clock.set(T0 + 3500);
    await visit(client.clone(), m, (s) => {
      assert.equal(s.isNew, false);
      assert.equal(s.timeouts.idling, 0);
      assert.equal(s.timeRemaining().idling, undefined);
      assert.equal(s.timeToLive, 100); // the rolling timeout is now the closest
    });
    assert.deepEqual(await alive(b, m, client, T0 + 3601), { exists: false, detail: 'session rolling timeout exceeded' });
  });
});

describe('rolling and absolute timeouts', () => {
  it('the rolling timeout ends a session that is only touched, never saved', async () => {
    const b = bed();
    const m = b.manager();
    const client = await login(m);
    for (const at of [800, 1600, 2400, 3200]) {
      b.clock.set(T0 + at);
      await visit(client, m, (s) => assert.equal(s.touch(), true));
    }
    assert.deepEqual(await alive(b, m, client, T0 + 3600), { exists: true, detail: undefined });
    assert.deepEqual(await alive(b, m, client, T0 + 3601), { exists: false, detail: 'session rolling timeout exceeded' });
  });

  it('with idling disabled, refreshing every 3000 s keeps a session until +86400, then the absolute timeout ends it', async () => {
    const b = bed();
    const m = b.manager({ idlingTimeout: 0 });
    const client = await login(m);
    for (let at = 3000; at <= 84000; at += 3000) {
      b.clock.set(T0 + at);
      const { result, lines } = await visit(client, m, (s) => {
        assert.equal(s.isNew, false, `at +${at}`);
        return s.refresh();
      });
      assert.equal(await result, 'saved');
      assert.equal(headerOf(lines).rollingOffset, at);
      assert.equal(headerOf(lines).creationTime, T0);
    }
    assert.deepEqual(await alive(b, m, client, T0 + 86400), { exists: true, detail: undefined });
    assert.deepEqual(await alive(b, m, client, T0 + 86401), { exists: false, detail: 'session absolute timeout exceeded' });
    assert.deepEqual(await alive(b, m, client, T0 + 87000), { exists: false, detail: 'session absolute timeout exceeded' });
  });

  it('with every timeout 0 a session never expires and refresh does nothing', async () => {
    const b = bed();
    const m = b.manager({ idlingTimeout: 0, rollingTimeout: 0, absoluteTimeout: 0 });
    const client = await login(m);
    b.clock.set(T0 + 10 * 365 * 86400);
    const { x } = await visit(client, m, async (s) => {
      assert.equal(s.isNew, false);
      assert.deepEqual(s.timeRemaining(), { idling: undefined, rolling: undefined, absolute: undefined });
      assert.equal(s.timeToLive, undefined);
      assert.equal(await s.refresh(), 'none');
    });
    assert.deepEqual(x.setCookies(), []);
  });
});

describe('refresh: the 3/4 rule', () => {
  it('returns none, touched or saved as the elapsed time dictates', async () => {
    const b = bed();
    const m = b.manager();
    const client = await login(m);
    const step = async (at: number, expected: 'none' | 'touched' | 'saved', keep = true): Promise<string[]> => {
      b.clock.set(T0 + at);
      const c = keep ? client : client.clone();
      const { result, lines } = await visit(c, m, (s) => s.refresh());
      assert.equal(await result, expected, `at +${at}`);
      if (expected === 'none') assert.deepEqual(lines, []);
      return lines;
    };
    await step(60, 'none', false); // 60 s since the last save: not more than touchThreshold
    assert.equal(headerOf(await step(61, 'touched')).idlingOffset, 61);
    await step(121, 'none'); // 60 s since the touch
    await step(800, 'touched');
    await step(1600, 'touched');
    await step(2400, 'touched');
    const touched = await step(2700, 'touched'); // not more than ceil(0.75 * 3600)
    const sid = headerOf(touched).sid;
    const saved = await step(2701, 'saved');
    assert.notDeepEqual(headerOf(saved).sid, sid);
    assert.equal(headerOf(saved).rollingOffset, 2701);
    assert.equal(headerOf(saved).idlingOffset, 0);
    await step(2761, 'none'); // measured from the new rolling offset
    await step(2762, 'touched');
  });

  it('rounds 3/4 of the rolling timeout up, as lua-resty-session does', async () => {
    const b = bed();
    const m = b.manager({ rollingTimeout: 3601, idlingTimeout: 0 });
    const client = await login(m);
    b.clock.set(T0 + 2701);
    assert.equal(await (await visit(client.clone(), m, (s) => s.refresh())).result, 'none');
    b.clock.set(T0 + 2702);
    assert.equal(await (await visit(client.clone(), m, (s) => s.refresh())).result, 'saved');
  });

  it('start() is open + refresh', async () => {
    const b = bed();
    const m = b.manager({ idlingTimeout: 0 });
    const client = await login(m);
    b.clock.set(T0 + 2701);
    const x = await client.open(m, 'start');
    assert.equal(x.session.isNew, false);
    assert.equal(headerOf(x.setCookies()).rollingOffset, 2701);
  });
});

describe('remaining time and last access', () => {
  it('timeRemaining and timeToLive count down from the stored times', async () => {
    const b = bed();
    const m = b.manager({ absoluteTimeout: 1000 });
    const client = new Client();
    await visit(client, m, async (s) => {
      assert.deepEqual(s.timeRemaining(), { idling: 900, rolling: 3600, absolute: 1000 });
      await s.save();
    });
    b.clock.set(T0 + 120);
    await visit(client, m, (s) => {
      assert.deepEqual(s.timeRemaining(), { idling: 780, rolling: 3480, absolute: 880 });
      assert.equal(s.timeToLive, 780);
      s.touch();
      assert.deepEqual(s.timeRemaining(), { idling: 900, rolling: 3480, absolute: 880 });
    });
    b.clock.set(T0 + 500);
    await visit(client, m, (s) => assert.equal(s.timeToLive, 500));
    b.clock.set(T0 + 1000);
    await visit(client, m, (s) => assert.deepEqual(s.timeRemaining(), { idling: 20, rolling: 2600, absolute: 0 }));
  });

  it('lastAccessedTime moves on touch and save, not on get or set', async () => {
    const b = bed();
    const m = b.manager();
    const client = await login(m, { n: 1 });
    b.clock.set(T0 + 300);
    await visit(client, m, async (s) => {
      assert.equal(s.creationTime, T0);
      assert.equal(s.lastAccessedTime, T0);
      s.get('n');
      s.set('n', 2);
      assert.equal(s.lastAccessedTime, T0);
      s.touch();
      assert.equal(s.lastAccessedTime, T0 + 300);
      b.clock.set(T0 + 400);
      s.get('n');
      assert.equal(s.lastAccessedTime, T0 + 300);
      await s.save();
      assert.equal(s.lastAccessedTime, T0 + 400);
      assert.equal(s.creationTime, T0);
    });
    b.clock.set(T0 + 450);
    await visit(client, m, (s) => assert.equal(s.lastAccessedTime, T0 + 400));
  });
});

describe('remember-me', () => {
  const remembering = (b: Bed, extra = {}) => b.manager({ remember: true, rememberSafety: 'low', ...extra });

  it('restores an idled-out session as a brand-new one with the same data and subject, issuing both cookies', async () => {
    const b = bed();
    const m = remembering(b);
    const client = new Client();
    const first = await visit(client, m, async (s) => {
      s.setSubject('ada');
      s.set('cart', [1, 2]);
      await s.save();
      return s.id;
    });
    assert.ok(lineFor(first.lines, 'remember')?.includes('Max-Age=604800'));
    b.clock.set(T0 + 1000);
    const { result, lines } = await visit(client, m, (s) => {
      assert.equal(s.state, 'open');
      assert.notEqual(s.id, first.result);
      assert.equal(s.creationTime, T0 + 1000);
      assert.equal(s.subject, 'ada');
      assert.deepEqual(s.getData(), { cart: [1, 2] });
      return s.id;
    });
    assert.deepEqual(b.invalid.take(), [{ reason: 'expired', cookie: 'session', detail: 'session idling timeout exceeded' }]);
    assert.equal(headerOf(lines, 'session').creationTime, T0 + 1000);
    assert.equal(headerOf(lines, 'remember').creationTime, T0);
    assert.equal(headerOf(lines, 'remember').rollingOffset, 1000);
    // The restored session is a normal one from now on.
    b.clock.set(T0 + 1100);
    await visit(client, m, (s) => {
      assert.equal(s.id, result);
      assert.equal(s.get('cart')?.length, 2);
    });
    assert.deepEqual(b.invalid.events, []);
  });

  it('without remember the same expired session is gone', async () => {
    const b = bed();
    const client = await login(remembering(b));
    assert.deepEqual(await alive(b, b.manager(), client, T0 + 1000), { exists: false, detail: 'session idling timeout exceeded' });
  });

  it('the remember cookie cannot restore past rememberAbsoluteTimeout, even for an active user', async () => {
    const b = bed();
    const m = remembering(b, { rememberAbsoluteTimeout: 10_000 });
    const client = await login(m);
    // Active use: saves with a valid session cookie re-issue the remember cookie, keeping its creation time.
    b.clock.set(T0 + 600);
    const saved = await visit(client, m, (s) => s.save());
    assert.equal(headerOf(saved.lines, 'remember').creationTime, T0);
    assert.equal(lineFor(saved.lines, 'remember')?.endsWith('; Max-Age=9400'), true);
    // Restores keep it too.
    b.clock.set(T0 + 9000);
    const restored = await visit(client, m, (s) => assert.equal(s.isNew, false));
    assert.equal(headerOf(restored.lines, 'remember').creationTime, T0);
    b.invalid.take();
    b.clock.set(T0 + 10_001);
    await visit(client, m, (s) => assert.equal(s.isNew, true));
    assert.deepEqual(b.invalid.take().map((e) => `${e.cookie}: ${e.detail}`), [
      'session: session idling timeout exceeded',
      'remember: session remember absolute timeout exceeded',
    ]);
  });

  it('setRemember(false) expires the remember cookie and sets the forget flag; setRemember(true) re-enables it', async () => {
    const b = bed();
    const m = remembering(b);
    const client = await login(m);
    assert.ok(client.jar.has('remember'));

    b.clock.set(T0 + 10);
    const off = await visit(client, m, async (s) => {
      assert.equal(s.remember, true);
      s.setRemember(false);
      assert.equal(s.remember, false);
      await s.save();
    });
    assert.ok(isExpiry(lineFor(off.lines, 'remember')));
    assert.notEqual(headerOf(off.lines).flags & Flags.forget, 0);
    assert.equal(client.jar.has('remember'), false);

    // Sticky: the next save neither issues a remember cookie nor drops the flag.
    b.clock.set(T0 + 20);
    const sticky = await visit(client, m, async (s) => {
      assert.equal(s.remember, false);
      await s.save();
    });
    assert.equal(lineFor(sticky.lines, 'remember'), undefined);
    assert.notEqual(headerOf(sticky.lines).flags & Flags.forget, 0);
    // So an idled-out session is not restored.
    assert.equal((await alive(b, m, client, T0 + 2000)).exists, false);

    // Unlike lua-resty-session (bug 6), remember can be switched on again.
    b.clock.set(T0 + 30);
    const on = await visit(client, m, async (s) => {
      s.setRemember(true);
      await s.save();
    });
    assert.ok(lineFor(on.lines, 'remember')?.includes('; Max-Age=604800'));
    assert.equal(headerOf(on.lines).flags & Flags.forget, 0);
    b.clock.set(T0 + 3000);
    await visit(client, m, (s) => {
      assert.equal(s.isNew, false);
      assert.equal(s.get('user'), 'ada');
      assert.equal(s.remember, true);
    });
  });
});
