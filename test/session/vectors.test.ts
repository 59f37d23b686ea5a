/**
 * Sessions opened and written through the manager (Fetch transport) against the cookies issued by the
 * real lua-resty-session 4.1.5 (test/vectors), on both crypto backends: what Lua read, we read; what Lua
 * wrote on save, touch, refresh and destroy, we write byte for byte.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlDecode, base64urlEncode } from '../../src/codec/base64url.ts';
import { Flags } from '../../src/codec/header.ts';
import { parseHeader } from '../../src/codec/seal.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { luaRestySessionCookie, type SessionOptions } from '../../src/options.ts';
import { fixedClock } from '../../src/testing/index.ts';
import { cookieValues, vector, vectorFile, type Vector } from '../helpers/vectors.ts';
import { invalidLog, IP, quiet, UA, type InvalidLog } from '../helpers/session.ts';

const BACKENDS = ['node', 'noble'] as const;
type Backend = (typeof BACKENDS)[number];

/** The manager options equivalent to a vector's lua_config (with lua-resty-session's cookie defaults). */
function luaOptions(config: Record<string, unknown>): SessionOptions {
  // lua-resty-session's own size limit (nine cookies), so that its chunked vector is read, not shed.
  const o: SessionOptions = { secret: config.secret as string, cookie: { ...luaRestySessionCookie, maxSize: 36_864 } };
  if (config.secret_fallbacks !== undefined) o.secretFallbacks = config.secret_fallbacks as string[];
  if (config.audience !== undefined) o.audience = config.audience as string;
  if (config.subject !== undefined) o.subject = config.subject as string;
  if (config.idling_timeout !== undefined) o.idlingTimeout = config.idling_timeout as number;
  if (config.rolling_timeout !== undefined) o.rollingTimeout = config.rolling_timeout as number;
  if (config.absolute_timeout !== undefined) o.absoluteTimeout = config.absolute_timeout as number;
  if (config.compression_threshold !== undefined) o.compressionThreshold = config.compression_threshold as number;
  if (config.remember !== undefined) o.remember = config.remember as boolean;
  if (config.remember_safety !== undefined) o.rememberSafety = (config.remember_safety as string).toLowerCase().replace(' ', '-') as 'medium';
  if (config.bind !== undefined) {
    o.bind = (config.bind as string[]).map((b) => (b === 'user-agent' ? 'userAgent' : (b as 'ip' | 'scheme')));
  }
  return o;
}

interface Env {
  readonly manager: SessionManager;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly invalid: InvalidLog;
}

function env(backend: Backend, options: SessionOptions, at: number): Env {
  const clock = fixedClock(at);
  const invalid = invalidLog();
  // lua-resty-session's cookie defaults (`session=...; Path=/; SameSite=Lax; HttpOnly`) unless `options` say otherwise.
  const manager = createSessionManager({ logger: quiet, cookie: luaRestySessionCookie, ...options, crypto: backend, now: clock.now, onInvalid: invalid.hook });
  return { manager, clock, invalid };
}

/** A Cookie request header carrying every cookie of some Set-Cookie lines. */
function cookieHeader(setCookies: readonly string[]): string {
  return [...cookieValues(setCookies)].map(([n, v]) => `${n}=${v}`).join('; ');
}

interface RequestContext {
  readonly userAgent?: string;
  readonly remoteAddress?: string;
  readonly url?: string;
}

async function openWith(e: Env, cookie: string | null | undefined, ctx: RequestContext = {}) {
  const headers: Record<string, string> = { 'user-agent': ctx.userAgent ?? UA };
  if (cookie) headers.cookie = cookie;
  const request = new Request(ctx.url ?? 'http://127.0.0.1/', { headers });
  const responseHeaders = new Headers();
  const session = await e.manager.open(request, responseHeaders, { remoteAddress: ctx.remoteAddress ?? IP });
  return { session, request, headers: responseHeaders };
}

const PROPS = { 'idling-timeout': 'idling', 'rolling-timeout': 'rolling', 'absolute-timeout': 'absolute' } as const;

const opening = vectorFile.vectors.filter((v) => v.lua_open && v.response?.set_cookie && v.lua_config.storage === undefined);

for (const backend of BACKENDS) {
  describe(`session vectors (crypto: ${backend})`, () => {
    it('covers every cookie-storage vector Lua opened', () => {
      assert.deepEqual(
        opening.map((v) => v.name),
        ['basic', 'no_timeouts', 'defaults_empty', 'deflate', 'chunked', 'bind_all', 'fallback_rotation'],
      );
    });

    for (const v of opening) {
      it(`${v.name}: opens with the data, audience, subject and properties Lua read`, async () => {
        const lua = v.lua_open!;
        const e = env(backend, luaOptions(v.lua_config), v.clock!);
        const { session } = await openWith(e, cookieHeader(v.response!.set_cookie!));
        assert.deepEqual(e.invalid.events, []);
        assert.equal(session.isNew, false);
        assert.equal(session.state, 'open');
        assert.deepEqual(session.getData(), lua.data);
        if ('audience' in lua) {
          assert.equal(session.audience, lua.audience);
          assert.equal(session.subject, lua.subject);
        }
        if (lua.props) {
          assert.equal(session.id, lua.props.id);
          const remaining = session.timeRemaining();
          for (const [prop, field] of Object.entries(PROPS)) assert.equal(remaining[field], lua.props[prop], `${prop}`);
          assert.equal(session.timeToLive, lua.props.timeout);
        }
      });
    }

    it('upstream_t01_test3: a cookie with every timeout 0 opens at any clock', async () => {
      const v = vector('upstream_t01_test3');
      const cookie = cookieHeader(v.response!.set_cookie!);
      const created = v.decoded!.creation_time;
      for (const at of [created, created + 1, 1_700_000_000, created + 10 * 365 * 86400, created + 2 ** 32 - 1]) {
        const e = env(backend, luaOptions(v.lua_config), at);
        const { session } = await openWith(e, cookie);
        assert.equal(session.isNew, false, `at ${at}`);
        assert.deepEqual(session.getData(), { quote: 'Lorem ipsum dolor sit amet' });
        assert.equal(session.audience, 'my_application');
        assert.equal(session.subject, 'Lua Fan');
        assert.equal(session.creationTime, created);
        assert.equal(session.timeToLive, undefined);
      }
      // With the default timeouts the same cookie is long expired.
      const defaults = env(backend, { secret: v.lua_config.secret as string, audience: 'my_application' }, 1_700_000_000);
      assert.equal((await openWith(defaults, cookie)).session.isNew, true);
      assert.equal(defaults.invalid.events[0]?.reason, 'expired');
    });

    it('deflate: a deflated cookie opens', async () => {
      const v = vector('deflate');
      const lines = v.response!.set_cookie!;
      assert.notEqual(parseHeader(cookieValues(lines).get('session')!)!.flags & Flags.deflate, 0);
      const e = env(backend, luaOptions(v.lua_config), v.clock!);
      const { session } = await openWith(e, cookieHeader(lines));
      assert.equal(session.get('blob'), 'abcdefghij'.repeat(200));
    });

    it('chunked: the three cookies session, session2, session3 open together, and not without the last', async () => {
      const v = vector('chunked');
      const lines = v.response!.set_cookie!;
      assert.deepEqual([...cookieValues(lines).keys()], ['session', 'session2', 'session3']);
      const e = env(backend, luaOptions(v.lua_config), v.clock!);
      const { session } = await openWith(e, cookieHeader(lines));
      assert.equal(session.isNew, false);
      assert.equal((session.get('blob') as string).length, 9000);
      assert.deepEqual(session.getData(), v.lua_open!.data);

      const { session: partial } = await openWith(e, cookieHeader(lines.slice(0, 2)));
      assert.equal(partial.isNew, true);
      assert.equal(e.invalid.events.at(-1)?.reason, 'missing-chunk');
    });

    it('bind_all: opens only with the same address, scheme and User-Agent', async () => {
      const v = vector('bind_all');
      const cookie = cookieHeader(v.response!.set_cookie!);
      const e = env(backend, luaOptions(v.lua_config), v.clock!);
      assert.equal((await openWith(e, cookie)).session.isNew, false);
      assert.deepEqual(e.invalid.take(), []);
      for (const ctx of [{ userAgent: 'other-agent/2.0' }, { remoteAddress: '127.0.0.2' }, { url: 'https://127.0.0.1/' }]) {
        const { session } = await openWith(e, cookie, ctx);
        assert.equal(session.isNew, true, JSON.stringify(ctx));
        assert.deepEqual(session.getData(), {});
        assert.deepEqual(e.invalid.take(), [{ reason: 'unauthenticated', cookie: 'session', detail: 'invalid session message authentication code' }]);
      }
      // Binding is read from the cookie's flags, so a manager without `bind` still enforces it.
      const unbound = env(backend, { ...luaOptions(v.lua_config), bind: [] }, v.clock!);
      assert.equal((await openWith(unbound, cookie, { userAgent: 'other-agent/2.0' })).session.isNew, true);
    });

    it('fallback_rotation: a cookie of a fallback secret opens, and a save re-issues it under the primary', async () => {
      const v = vector('fallback_rotation');
      const cookie = cookieHeader(v.response!.set_cookie!);
      const rotated = env(backend, luaOptions(v.lua_config), v.clock!);
      const primaryOnly = env(backend, { ...luaOptions(v.lua_config), secretFallbacks: [] }, v.clock!);

      assert.equal((await openWith(primaryOnly, cookie)).session.isNew, true);
      const { session, headers } = await openWith(rotated, cookie);
      assert.equal(session.isNew, false);
      assert.deepEqual(session.getData(), v.lua_open!.data);
      await session.save();
      const reissued = cookieHeader(headers.getSetCookie());
      const reopened = (await openWith(primaryOnly, reissued)).session;
      assert.equal(reopened.isNew, false);
      assert.deepEqual(reopened.getData(), v.lua_open!.data);
      // Lua's own re-issued cookie opens with the primary secret alone too.
      assert.equal((await openWith(primaryOnly, cookieHeader(v.after_save!.set_cookie))).session.isNew, false);
    });

    it('multi_audience: a second audience starts empty in the shared cookie, and a save keeps both', async () => {
      const v = vector('multi_audience');
      const second = env(backend, luaOptions(v.lua_config), v.clock!);
      const first = env(backend, { ...luaOptions(v.lua_config), audience: 'my_application' }, v.clock!);
      const { session, headers } = await openWith(second, v.request!.cookie_header);
      assert.equal(session.isNew, true);
      assert.equal(session.audience, 'second_app');
      assert.deepEqual(session.getData(), {});
      assert.deepEqual(second.invalid.events, []);
      session.set('other', 'value-2');
      await session.save();
      const cookie = cookieHeader(headers.getSetCookie());

      const mine = (await openWith(first, cookie)).session;
      assert.equal(mine.isNew, false);
      assert.deepEqual(mine.getData(), v.lua_open_as_my_application!.data);
      const theirs = (await openWith(second, cookie)).session;
      assert.equal(theirs.isNew, false);
      assert.deepEqual(theirs.getData(), { other: 'value-2' });
      assert.equal(theirs.subject, 'Lua Fan');
      // And Lua's two-audience cookie reads the same.
      const lua = (await openWith(second, cookieHeader(v.response!.set_cookie!))).session;
      assert.deepEqual(lua.getData(), { other: 'value-2' });
    });

    it('destroy: emits exactly the expiring Set-Cookie Lua emits', async () => {
      const v = vector('destroy');
      const e = env(backend, luaOptions(v.lua_config), v.clock!);
      const { session, headers } = await openWith(e, v.request!.cookie_header);
      assert.equal(session.isNew, false);
      await session.destroy();
      assert.deepEqual(headers.getSetCookie(), ['session=; Path=/; SameSite=Lax; HttpOnly; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0']);
      assert.deepEqual(headers.getSetCookie(), v.response!.set_cookie);
      assert.equal(session.state, 'closed');
    });

    it('timeline_touch_refresh: touch and refresh write what Lua wrote, then the session idles out', async () => {
      const v = vector('timeline_touch_refresh');
      const steps = v.steps!;
      const options = luaOptions(v.lua_config);
      let cookie = cookieHeader(steps[0]!.set_cookie!);
      const sid = parseHeader(cookieValues(steps[0]!.set_cookie!).get('session')!)!.sid;
      for (const step of steps.slice(1, -1)) {
        const e = env(backend, options, step.at);
        const { session, headers } = await openWith(e, cookie);
        assert.equal(session.isNew, false, `at ${step.at}`);
        const expected = step.set_cookie!;
        const touching = step.action === 'touch' || step.action.includes('-> touch');
        if (step.action === 'touch') assert.equal(session.touch(), true);
        else assert.equal(await session.refresh(), expected.length === 0 ? 'none' : touching ? 'touched' : 'saved', step.action);
        const lines = headers.getSetCookie();
        if (touching) {
          // Same session id; only the idling offset and the MAC change.
          assert.deepEqual(lines, expected, step.action);
          const h = parseHeader(cookieValues(lines).get('session')!)!;
          assert.deepEqual(h.sid, sid);
          assert.equal(h.idlingOffset, step.at - 1_700_000_000);
        } else if (expected.length === 0) {
          assert.deepEqual(lines, [], step.action);
        } else {
          assert.equal(lines.length, 1);
          const h = parseHeader(cookieValues(lines).get('session')!)!;
          assert.notDeepEqual(h.sid, sid);
          assert.equal(session.id, base64urlEncode(h.sid));
          assert.equal(h.creationTime, 1_700_000_000);
          assert.equal(h.rollingOffset, 2701);
          assert.equal(h.idlingOffset, 0);
          // Given Lua's new session id, the save is byte-exact too.
          const luaSid = parseHeader(cookieValues(expected).get('session')!)!.sid;
          const exact = env(backend, { ...options, randomBytes: () => luaSid.slice() }, step.at);
          const replay = await openWith(exact, cookie);
          assert.equal(await replay.session.refresh(), 'saved');
          assert.deepEqual(replay.headers.getSetCookie(), expected);
        }
        if (expected.length > 0) cookie = cookieHeader(expected);
      }
      const last = steps.at(-1)!;
      assert.equal(last.at, 1_700_003_602);
      const e = env(backend, options, last.at);
      const { session, headers } = await openWith(e, cookie);
      assert.equal(session.isNew, true);
      assert.deepEqual(session.getData(), {});
      assert.deepEqual(headers.getSetCookie(), []);
      assert.deepEqual(e.invalid.events, [{ reason: 'expired', cookie: 'session', detail: 'session idling timeout exceeded' }]);
    });

    it('remember_medium: with Lua\'s session ids, a save writes both Set-Cookie lines byte for byte', async () => {
      const v = vector('remember_medium');
      assert.equal(v.decoded!.plaintext_json, JSON.stringify([[{ quote: 'Lorem ipsum dolor sit amet' }, 'my_application', 'Lua Fan']]));
      assert.equal(v.decoded_remember!.plaintext_json, v.decoded!.plaintext_json);
      const sids = [v.decoded!.sid_b64url, v.decoded_remember!.sid_b64url].map((s) => base64urlDecode(s)!);
      let calls = 0;
      const options: SessionOptions = { ...luaOptions(v.lua_config), randomBytes: () => sids[Math.min(calls++, 1)]!.slice() };
      assert.equal(options.remember, true);
      assert.equal(options.rememberSafety, 'medium');
      const e = env(backend, options, v.clock!);
      const { session, headers } = await openWith(e, null);
      assert.equal(session.subject, 'Lua Fan');
      session.set('quote', 'Lorem ipsum dolor sit amet');
      await session.save();
      assert.equal(calls, 2);
      assert.deepEqual(headers.getSetCookie(), v.response!.set_cookie);
    });
  });
}
