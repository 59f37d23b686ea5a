/**
 * The demo's HTML: one server-rendered page, inline CSS and one small inline script (allowed by its
 * hash in the Content-Security-Policy) that counts the timeouts down between requests. No external assets.
 */
import { createHash } from 'node:crypto';
import type { Session, SubjectSession } from 'httpsession';
import type { InspectedCookie } from './cookies.ts';

/** What this application keeps in its sessions. */
export type DemoData = { visits: number };

/** Everything the home page shows. */
export interface HomeView {
  readonly session: Session<DemoData>;
  /** A short message about the last action, already chosen from a fixed list. */
  readonly notice: string | undefined;
  /** The session cookie was missing and the remember cookie brought the session back. */
  readonly restored: boolean;
  readonly cookies: readonly InspectedCookie[];
  /** The subject's sessions in the store, with `current` marking this browser's; `undefined` when anonymous. */
  readonly devices: ReadonlyArray<SubjectSession & { readonly current: boolean }> | undefined;
  readonly now: number;
  /** Seconds a replaced record stays readable (requests in flight). */
  readonly staleTtl: number;
}

/** Escapes a value for HTML text and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A session id is close to a credential (with server-side storage it is the key): show just enough to tell two apart. */
export const shortId = (id: string): string => `${id.slice(0, 8)}…`;

/** `undefined` (a disabled timeout) reads as "never". */
const seconds = (s: number | undefined): string => (s === undefined ? 'never' : `${s} s`);

const row = (label: string, value: unknown): string => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;

function sessionTable(session: Session<DemoData>): string {
  const rows: Array<[string, unknown]> = [
    ['Visits', session.get('visits') ?? 0],
    ['Session id (new on every save)', shortId(session.id)],
    ['New session', session.isNew ? 'yes' : 'no'],
    ['Subject', session.subject ?? 'anonymous'],
    ['Audience', session.audience],
    ['Remember me', session.remember ? 'on' : 'off'],
  ];
  return `<table id="session" class="kv">${rows.map(([k, v]) => row(k, v)).join('')}</table>
<h3>Data</h3><pre id="data">${escapeHtml(JSON.stringify(session.getData(), null, 2))}</pre>`;
}

/** The three timeouts and the time to live as bars that the inline script shortens every second. */
function timeoutTable(session: Session<DemoData>): string {
  const left = session.timeRemaining();
  const totals = session.timeouts;
  const rows: Array<[string, number | undefined, number]> = [
    ['Idle timeout in', left.idling, totals.idling],
    ['Rolling timeout in', left.rolling, totals.rolling],
    ['Absolute timeout in', left.absolute, totals.absolute],
  ];
  // The time to live is the closest timeout: its bar is out of that timeout's length.
  const closest = rows.find(([, s]) => s !== undefined && s === session.timeToLive);
  rows.push(['Time to live', session.timeToLive, closest?.[2] ?? 0]);
  const bar = (s: number | undefined, total: number): string =>
    s === undefined || total <= 0 ? '' : `<span class="bar"><i style="width:${((100 * s) / total).toFixed(1)}%"></i></span>`;
  return `<table id="timeouts" class="kv">${rows
    .map(([label, s, total]) => {
      const data = s === undefined ? '' : ` data-left="${s}" data-total="${total}"`;
      return `<tr${data}><th>${escapeHtml(label)}</th><td class="v">${seconds(s)}</td><td class="track">${bar(s, total)}</td></tr>`;
    })
    .join('')}</table>
<p class="hint">Idle: ${totals.idling} s without a request. Rolling: ${totals.rolling} s without a save (every visit
here saves). Absolute: ${totals.absolute} s after creation, whatever the activity. The closest one is the time to live.</p>`;
}

function actions(session: Session<DemoData>): string {
  const subject = session.subject;
  const login = `<form method="post" action="/login" class="login">
  <label>Subject <input name="subject" required maxlength="64" pattern="[A-Za-z0-9_.@\\-]+" autocomplete="username" placeholder="alice"></label>
  <label class="check"><input type="checkbox" name="remember"> Remember me</label>
  <button>${subject === undefined ? 'Log in' : 'Log in as someone else'}</button>
</form>`;
  const button = (action: string, label: string, cls = ''): string =>
    `<form method="post" action="${action}"><button${cls === '' ? '' : ` class="${cls}"`}>${label}</button></form>`;
  return `${login}<div class="buttons">
${button('/regenerate', 'Regenerate id')}
${subject === undefined ? '' : button('/logout', 'Log out')}
${subject === undefined ? '' : button('/logout-everywhere', 'Log out everywhere', 'danger')}
${button('/destroy', 'Destroy session', 'danger')}
</div>
<p class="hint">Log in: a new id (no session fixation) and the subject. Regenerate: a new id, the same data, the old id
dead at once. Log out everywhere: every session of the subject in the store is deleted, in every browser.</p>`;
}

function inspector(cookies: readonly InspectedCookie[]): string {
  if (cookies.length === 0) return '<p class="hint">No session cookie yet.</p>';
  return cookies
    .map((c) => {
      const source = c.source === 'response' ? 'set by this response' : 'sent by the browser';
      const attributes = c.attributes.length > 0 ? c.attributes.join('; ') : '(as sent: attributes are not sent back)';
      const fields = (c.fields ?? [['header', 'not a session header']]).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
      return `<h3><code>${escapeHtml(c.name)}</code> <small>${source}, ${c.length} characters</small></h3>
<dl class="fields"><dt>attributes</dt><dd>${escapeHtml(attributes)}</dd>${fields.join('')}</dl>`;
    })
    .join('');
}

function devices(view: HomeView): string {
  if (view.devices === undefined) return '<p class="hint">Log in to see this subject\'s sessions in the store (<code>storeMetadata: true</code>).</p>';
  const rows = view.devices.map((d) => {
    const left = d.expiresAt - view.now;
    const what = d.current ? 'this browser' : left <= view.staleTtl ? 'replaced (readable for requests in flight)' : 'elsewhere (another browser, or a dropped cookie)';
    return `<tr${d.current ? ' class="current"' : ''}><td><code>${escapeHtml(shortId(d.key))}</code></td><td>${d.kind}</td><td>${left} s</td><td>${what}</td></tr>`;
  });
  return `<table class="list"><thead><tr><th>key</th><th>kind</th><th>expires in</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="hint">Log in as the same subject in another browser (or a private window) and it shows up here.</p>`;
}

/** The home page's body. */
export function homeBody(view: HomeView): string {
  const notice = view.notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(view.notice)}</p>`;
  const restored = view.restored ? '<p class="notice" role="status">The session cookie was missing: the remember cookie restored this session.</p>' : '';
  return `${notice}${restored}<div class="grid">
<section class="card"><h2>Session</h2>${sessionTable(view.session)}</section>
<section class="card"><h2>Timeouts</h2>${timeoutTable(view.session)}<h2>Actions</h2>${actions(view.session)}</section>
<section class="card" id="inspector"><h2>Cookie inspector</h2>${inspector(view.cookies)}</section>
<section class="card" id="devices"><h2>Sessions of ${escapeHtml(view.session.subject ?? 'this subject')}</h2>${devices(view)}</section>
</div>
<p class="foot"><a href="/api/session">/api/session</a> shows the session as JSON without counting a visit.
Sessions live in a memory store here; with the default cookie storage the encrypted data rides in the cookie after the header.</p>`;
}

/** Counts every `data-left` row down once a second, so the page shows time passing between requests. */
const COUNTDOWN = `
const start = Date.now();
const rows = document.querySelectorAll('[data-left]');
function tick() {
  const gone = Math.floor((Date.now() - start) / 1000);
  for (const row of rows) {
    const left = Math.max(0, Number(row.dataset.left) - gone);
    row.querySelector('.v').textContent = left === 0 ? 'expired' : left + ' s';
    const bar = row.querySelector('.bar > i');
    if (bar) bar.style.width = (100 * left / Number(row.dataset.total)).toFixed(1) + '%';
    row.classList.toggle('expired', left === 0);
  }
}
setInterval(tick, 1000);
`;

/** The Content-Security-Policy source that allows the countdown script and nothing else. */
export const SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(COUNTDOWN).digest('base64')}'`;

const STYLE = `
  :root { --fg: #1d2330; --muted: #5d6677; --line: #e3e7ee; --card: #fff; --bg: #f4f6fa; --accent: #2f6fdf; --danger: #c23a3a; }
  * { box-sizing: border-box; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header { background: #141a26; color: #fff; padding: 1.1rem 1.5rem; }
  header h1 { margin: 0; font-size: 1.35rem; } header p { margin: .2rem 0 0; color: #b8c2d6; }
  main { max-width: 72rem; margin: 0 auto; padding: 1.25rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; box-shadow: 0 1px 2px #0000000d; }
  h2 { font-size: 1.05rem; margin: 0 0 .6rem; } h2:not(:first-child) { margin-top: 1.3rem; } h3 { font-size: .95rem; margin: 1rem 0 .4rem; } h3 small { color: var(--muted); font-weight: normal; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .75rem .3rem 0; border-bottom: 1px solid var(--line); vertical-align: top; }
  .kv th { width: 45%; font-weight: 500; color: var(--muted); }
  td, code, pre, dd { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: .9em; }
  pre { background: #f0f3f8; border-radius: 6px; padding: .6rem .8rem; margin: 0; overflow: auto; }
  .track { width: 40%; } .bar { display: block; height: .55rem; background: #e6ebf3; border-radius: 99px; overflow: hidden; margin-top: .45rem; }
  .bar > i { display: block; height: 100%; background: var(--accent); border-radius: 99px; transition: width 1s linear; }
  tr.expired .v { color: var(--danger); font-weight: 600; } tr.expired .bar > i { background: var(--danger); }
  form { margin: 0; } .login { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin-bottom: .6rem; }
  input[name=subject] { font: inherit; padding: .3rem .5rem; border: 1px solid #c5cdda; border-radius: 6px; width: 10rem; }
  .buttons { display: flex; flex-wrap: wrap; gap: .5rem; }
  button { font: inherit; padding: .35rem .8rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button.danger { background: #fff; color: var(--danger); border-color: var(--danger); }
  .hint, .foot { color: var(--muted); font-size: .85rem; margin: .6rem 0 0; }
  .notice { background: #e8f1ff; border: 1px solid #bcd3fb; border-radius: 8px; padding: .5rem .9rem; margin: 0 0 1rem; }
  dl.fields { display: grid; grid-template-columns: 9rem 1fr; margin: 0; }
  dl.fields dt, dl.fields dd { margin: 0; padding: .2rem 0; border-bottom: 1px solid var(--line); } dl.fields dt { color: var(--muted); }
  dd { word-break: break-all; } .list tr.current td { font-weight: 600; } .list th { color: var(--muted); font-weight: 500; }
  a { color: var(--accent); }
`;

/** A whole page; `body` is trusted HTML built from escaped values, `countdown` adds the timeout script. */
export function page(title: string, body: string, countdown = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>One visitor's session, decoded on the server: what httpsession keeps, for how long, and what it sends.</p></header>
<main>${body}</main>${countdown ? `<script>${COUNTDOWN}</script>` : ''}</body></html>`;
}
