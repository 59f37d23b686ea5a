/**
 * The httpsession demo: a tiny server-rendered site over `node:http` that shows one session's life —
 * a visit counter, login (with a fresh session id and an optional remember-me cookie), logout, destroy.
 *
 *   npm start                          # http://127.0.0.1:3000/ with the public development secret
 *   SESSION_SECRET=... PORT=8080 npm start
 *
 * Sessions live in an encrypted cookie (the default storage): nothing is kept on the server, so a copy
 * of an older cookie stays valid until it times out, even after logout or destroy. To revoke sessions
 * on the server, pass a `storage` to createSessionManager.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { createSessionManager, type Session } from 'httpsession';

/** Public, so it protects nothing: only for trying the demo locally. Set SESSION_SECRET for anything else. */
export const DEVELOPMENT_SECRET = 'httpsession-demo-PUBLIC-development-secret-DO-NOT-USE-IN-PRODUCTION';

/** What this application keeps in its sessions. */
type DemoData = { visits: number };

const SUBJECT = /^[A-Za-z0-9_.@-]{1,64}$/;
const MAX_BODY = 4096;

/** Escapes a value for HTML text and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A session id is close to a credential (with server-side storage it is the key): show just enough to tell two apart. */
const shortId = (id: string): string => `${id.slice(0, 8)}…`;

/** `undefined` (a disabled timeout) reads as "never". */
const seconds = (s: number | undefined): string => (s === undefined ? 'never' : `${s} s`);

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Creates the demo server (not listening yet).
 * @param options - `secret` (default: the public development secret) and `now`, a clock in Unix seconds
 */
export function createDemoServer(options: { secret?: string; now?: () => number } = {}): http.Server {
  const sessions = createSessionManager<DemoData>({
    secret: options.secret ?? DEVELOPMENT_SECRET,
    audience: 'demo',
    remember: false, // switched on per session by the login form's checkbox
    rememberSafety: 'low', // fewer PBKDF2 rounds: quick to demo, weaker against offline guessing
    // The demo is served over plain http://127.0.0.1, where a browser may refuse Secure cookies: this
    // drops Secure and the __Host- prefix (plain `session` / `remember` cookies). Production keeps the
    // secure default (`__Host-session`, Secure) and is served over HTTPS.
    cookie: { secure: false },
    ...(options.now === undefined ? {} : { now: options.now }),
  });

  async function home(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const session = await sessions.start(req, res);
    session.set('visits', (session.get('visits') ?? 0) + 1);
    await session.save(); // mints a new id and writes the cookie
    send(res, 200, page('httpsession demo', homeBody(session)));
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
    redirect(res);
  }

  async function logout(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const session = await sessions.start(req, res);
    session.setSubject(undefined).setRemember(false); // also expires the remember cookie
    await session.regenerate();
    redirect(res);
  }

  async function destroy(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const session = await sessions.start(req, res);
    await session.destroy(); // expires the session and remember cookies
    redirect(res);
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const session = await sessions.start(req, res); // no save: reading does not count as a visit
    const r = session.timeRemaining();
    const body = {
      id: shortId(session.id),
      isNew: session.isNew,
      visits: session.get('visits') ?? 0,
      subject: session.subject ?? null,
      remember: session.remember,
      remaining: { timeToLive: session.timeToLive ?? null, idling: r.idling ?? null, rolling: r.rolling ?? null, absolute: r.absolute ?? null },
    };
    send(res, 200, JSON.stringify(body, null, 2), 'application/json; charset=utf-8');
  }

  const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>> = {
    'GET /': home,
    'POST /login': login,
    'POST /logout': logout,
    'POST /destroy': destroy,
    'GET /api/session': api,
  };

  return http.createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[`${req.method} ${path}`];
    try {
      if (route === undefined) throw new HttpError(404, `Nothing at ${path}`);
      await route(req, res);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, page(`Error ${err.status}`, `<p>${escapeHtml(err.message)}</p>`));
      // Library errors never carry cookie values, keys or session ids; log the message only.
      console.error(`demo: ${req.method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (res.headersSent) return void res.destroy();
      res.removeHeader('set-cookie');
      send(res, 500, page('Error 500', '<p>Something went wrong. Please try again.</p>'));
    }
  });
}

function homeBody(session: Session<DemoData>): string {
  const r = session.timeRemaining();
  const rows: Array<[string, unknown]> = [
    ['Visits', session.get('visits') ?? 0],
    ['Session id (new on every save)', shortId(session.id)],
    ['New session', session.isNew ? 'yes' : 'no'],
    ['Subject', session.subject ?? 'anonymous'],
    ['Remember me', session.remember ? 'on' : 'off'],
    ['Idle timeout in', seconds(r.idling)],
    ['Rolling timeout in', seconds(r.rolling)],
    ['Absolute timeout in', seconds(r.absolute)],
    ['Time to live', seconds(session.timeToLive)],
  ];
  return `
<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<form method="post" action="/login">
  <label>Subject <input name="subject" required maxlength="64" pattern="[A-Za-z0-9_.@\\-]+" autocomplete="username"></label>
  <label><input type="checkbox" name="remember"> Remember me</label>
  <button>Log in</button>
</form>
<form method="post" action="/logout"><button>Log out</button></form>
<form method="post" action="/destroy"><button>Destroy session</button></form>
<p><a href="/api/session">/api/session</a> shows the same as JSON, without counting a visit.</p>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  table { border-collapse: collapse; margin-bottom: 1.5rem; }
  th, td { text-align: left; padding: .25rem 1rem .25rem 0; border-bottom: 1px solid #ddd; }
  form { display: flex; gap: .75rem; align-items: center; margin: .75rem 0; }
  code, td { font-family: ui-monospace, monospace; }
</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store', // pages show one visitor's session
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}

/** 303 See Other: the browser follows with a GET, so reloading does not resubmit the form. */
function redirect(res: http.ServerResponse): void {
  res.writeHead(303, { location: '/', 'cache-control': 'no-store' });
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
