/**
 * The httpsession demo: a tiny server-rendered site over `node:http` that shows one session's life at a
 * glance — its data and id, the three timeouts counting down, audience and remember-me state, a cookie
 * inspector decoding the header of the current cookie, and the subject's sessions in the store with
 * "log out everywhere".
 *
 *   npm start                          # http://127.0.0.1:3000/ with the public development secret
 *   SESSION_SECRET=... PORT=8080 npm start
 *
 * Sessions live in a memory store with `storeMetadata: true`, so a subject's sessions can be listed and
 * revoked. Without the `storage` option they would live in the encrypted cookie (the default).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createSessionManager, type Session } from 'httpsession';
import { memoryStorage } from 'httpsession/storage/memory';
import { inspectCookie, requestCookies, type InspectedCookie } from './demo/cookies.ts';
import { escapeHtml, homeBody, page, SCRIPT_SOURCE, shortId, type DemoData } from './demo/render.ts';

export { escapeHtml } from './demo/render.ts';

/** Public, so it protects nothing: only for trying the demo locally. Set SESSION_SECRET for anything else. */
export const DEVELOPMENT_SECRET = 'httpsession-demo-PUBLIC-development-secret-DO-NOT-USE-IN-PRODUCTION';

const SUBJECT = /^[A-Za-z0-9_.@-]{1,64}$/;
const MAX_BODY = 4096;

/** The notices a redirect may ask the home page to show (`/?done=<key>`): a fixed list, nothing echoed. */
const NOTICES: Record<string, string> = {
  login: 'Logged in: the session has a new id.',
  regenerated: 'New session id; the data is kept and the old id no longer works.',
  logout: 'Logged out: anonymous again, under a new id, and the remember cookie is expired.',
  everywhere: 'Logged out everywhere: every session of that subject was deleted from the store.',
  destroyed: 'Session destroyed: this visit starts a new one.',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** The store key of a session id under `hashStorageKey: true`: base64url(SHA-256(id bytes)). */
const storageKey = (sid: string): string => createHash('sha256').update(Buffer.from(sid, 'base64url')).digest('base64url');

/**
 * Creates the demo server (not listening yet).
 * @param options - `secret` (default: the public development secret) and `now`, a clock in Unix seconds
 */
export function createDemoServer(options: { secret?: string; now?: () => number } = {}): http.Server {
  const sessions = createSessionManager<DemoData>({
    secret: options.secret ?? DEVELOPMENT_SECRET,
    audience: 'demo',
    storage: memoryStorage(),
    storeMetadata: true, // indexes records by audience + subject: listSessions, revokeSubject
    hashStorageKey: true, // the store (and the sessions list) holds SHA-256 hashes, not the ids
    remember: false, // switched on per session by the login form's checkbox
    rememberSafety: 'low', // fewer PBKDF2 rounds: quick to demo, weaker against offline guessing
    // The demo is served over plain http://127.0.0.1, where a browser may refuse Secure cookies: this
    // drops Secure and the __Host- prefix (plain `session` / `remember` cookies). Production keeps the
    // secure default (`__Host-session`, Secure) and is served over HTTPS.
    cookie: { secure: false },
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const { cookieName, rememberName, staleTtl } = sessions.options;
  const clock = options.now ?? ((): number => Date.now() / 1000);

  async function home(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const sent = requestCookies(req);
    const session = await sessions.start(req, res);
    session.set('visits', (session.get('visits') ?? 0) + 1);
    await session.save(); // mints a new id and writes the cookie
    const now = Math.floor(clock());
    const cookies = [cookieName, rememberName].map((name) => inspectCookie(req, res, name, now)).filter((c): c is InspectedCookie => c !== undefined);
    const mine = new Set(cookies.flatMap((c) => (c.sid === undefined ? [] : [storageKey(c.sid)])));
    const subject = session.subject;
    const listed = subject === undefined ? undefined : await sessions.listSessions(subject);
    const done = new URL(req.url ?? '/', 'http://localhost').searchParams.get('done') ?? '';
    const body = homeBody({
      session,
      notice: Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined,
      restored: !sent.has(cookieName) && sent.has(rememberName) && subject !== undefined,
      cookies,
      devices: listed?.map((s) => ({ ...s, current: mine.has(s.key) })),
      now,
      staleTtl,
    });
    send(res, 200, page('httpsession demo', body, true));
  }

  async function login(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const form = await readForm(req);
    const subject = form.get('subject') ?? '';
    if (!SUBJECT.test(subject)) {
      const shown = subject.length > 80 ? `${subject.slice(0, 80)}…` : subject;
      throw new HttpError(400, `Invalid subject "${shown}": use 1 to 64 letters, digits, or _ . @ -`);
    }
    const session = await sessions.start(req, res);
    session.setSubject(subject).setRemember(form.get('remember') === 'on');
    await session.regenerate(); // a new id on every privilege change defeats session fixation
    redirect(res, 'login');
  }

  /** Runs `change` on the request's session, then redirects home with notice `done`. */
  const action = (done: string, change: (session: Session<DemoData>) => Promise<unknown>): Handler => async (req, res) => {
    await readForm(req);
    await change(await sessions.start(req, res));
    redirect(res, done);
  };

  async function api(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const session = await sessions.start(req, res); // no save: reading does not count as a visit
    const r = session.timeRemaining();
    const body = {
      id: shortId(session.id),
      isNew: session.isNew,
      visits: session.get('visits') ?? 0,
      subject: session.subject ?? null,
      audience: session.audience,
      remember: session.remember,
      remaining: { timeToLive: session.timeToLive ?? null, idling: r.idling ?? null, rolling: r.rolling ?? null, absolute: r.absolute ?? null },
    };
    send(res, 200, JSON.stringify(body, null, 2), 'application/json; charset=utf-8');
  }

  const routes: Record<string, Handler> = {
    'GET /': home,
    'POST /login': login,
    'POST /regenerate': action('regenerated', (s) => s.regenerate()),
    'POST /logout': action('logout', async (s) => {
      s.setSubject(undefined).setRemember(false); // also expires the remember cookie
      await s.regenerate();
    }),
    // Every session and remember record of the subject, in every browser; this browser's cookie then
    // names a deleted record, so its next request starts a new, anonymous session.
    'POST /logout-everywhere': action('everywhere', async (s) => {
      if (s.subject !== undefined) await sessions.revokeSubject(s.subject);
    }),
    'POST /destroy': action('destroyed', (s) => s.destroy()), // expires the session and remember cookies
    'GET /api/session': api,
  };

  return http.createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[`${req.method} ${path}`];
    try {
      if (route === undefined) throw new HttpError(404, `Nothing at ${path}`);
      await route(req, res);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, page(`Error ${err.status}`, `<p>${escapeHtml(err.message)}</p><p><a href="/">Back</a></p>`));
      // Library errors never carry cookie values, keys or session ids; log the message only.
      console.error(`demo: ${req.method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) return void res.destroy();
      res.removeHeader('set-cookie');
      send(res, 500, page('Error 500', '<p>Something went wrong. Please try again.</p>'));
    }
  });
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store', // pages show one visitor's session
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; script-src ${SCRIPT_SOURCE}; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'`,
  });
  res.end(body);
}

/** 303 See Other: the browser follows with a GET, so reloading does not resubmit the form. */
function redirect(res: http.ServerResponse, done: string): void {
  res.writeHead(303, { location: `/?done=${done}`, 'cache-control': 'no-store' });
  res.end();
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most MAX_BODY bytes. No CSRF token here: the
 * session cookie is SameSite=Lax, so browsers do not send it with cross-site form posts.
 */
async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    throw new HttpError(415, 'Expected a form (application/x-www-form-urlencoded)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'Form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
// `npm start`: listen when run directly, not when imported (by the tests, for instance).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.SESSION_SECRET;
  if (!secret) {
    console.warn(`
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!!  WARNING: SESSION_SECRET is not set, so the demo uses its DEVELOPMENT secret.
!!  That secret is PUBLIC (it is in the source code): anyone can read and forge
!!  these session cookies. For local development only - never deploy it.
!!  Make a real secret with:
!!    node -p "require('node:crypto').randomBytes(32).toString('base64url')"
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
`);
  }
  const server = createDemoServer(secret ? { secret } : {});
  server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : process.env.PORT;
    console.log(`httpsession demo listening on http://127.0.0.1:${port}/`);
  });
}
