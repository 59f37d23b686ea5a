import assert from 'node:assert/strict';
import { createSessionManager, luaRestySessionCookie } from 'httpsession';

// A cookie issued by lua-resty-session 4.1.5 running in nginx (one of the vectors in test/vectors/).
const cookie = 'session=AQAADmbwf25sqJXMxE-I_Kf3I9YTrPcioUlkVnzNN6PWpmAA8VNlAAAAAABcAAC-wF6IYcOggSa_Y-Q36EXAAAAA4hhsxBCcFFovisLUzrgAFgRL5FyxAGari4Qww6k_n_TCTJlX1lP8IsLFOi2oLnnsbsj__VUFx39QP7ABjyDAskWIPaLcfJieBjbXFKmFGzQ8__RTYT';

const sessions = createSessionManager({
  secret: 'RaJKp8UQW1', // the Lua side's secret (short: accepted for compatibility, with a warning)
  audience: 'my_application',
  cookie: luaRestySessionCookie, // lua-resty-session's cookie name and attributes
  now: () => 1_700_000_000, // the time the cookie was issued, so that it has not expired
  logger: { warn: () => {} },
});

const session = await sessions.open(new Request('http://localhost/', { headers: { cookie } }), new Headers());
assert.equal(session.isNew, false);
assert.equal(session.subject, 'Lua Fan');
assert.deepEqual(session.getData(), { quote: 'Lorem ipsum dolor sit amet' });
