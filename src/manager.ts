/**
 * `createSessionManager`: validates the options once and opens sessions from requests, over `node:http`
 * (`IncomingMessage` / `ServerResponse`) or the Fetch API (`Request` / `Headers`).
 *
 * @module
 */
import { chunkName, MAX_COOKIE_LIFETIME, MAX_COOKIES } from './cookie/serialize.ts';
import { CookieNameList, readCookies } from './cookie/parse.ts';
import type { SessionEntry } from './codec/payload.ts';
import { isSessionError, SessionError, type InvalidCookie } from './errors.ts';
import { createEmitter, eventsOf, type SessionEvents } from './events.ts';
import { indexOf } from './metadata.ts';
import type { Storage } from './storage/types.ts';
import { fetchExchange, isFetchRequest } from './http/fetch.ts';
import { headerExchange } from './http/header.ts';
import { nodeExchange, type NodeRequest, type NodeResponse } from './http/node.ts';
import { clientBinding, type HttpExchange } from './http/types.ts';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.ts';
import { openCookie, openCookieSync, type OpenContext, type OpenedCookie, type OpenResult } from './reader.ts';
import { applyModel, type ModelResult, type StandardSchemaV1 } from './schema.ts';
import { Session } from './session.ts';
import { requestCookiesBytes } from './session/budget.ts';
import { expiredLines } from './session/lines.ts';
import { subjectsOf } from './session/records.ts';

/** Per-request options of the Fetch form of `open` / `start`. */
export interface FetchOpenOptions {
  /** The client address, which a `Request` does not carry (needed only for `bind: ['ip']`). */
  remoteAddress?: string;
}

/**
 * Opens sessions. Create one per application with {@link createSessionManager}. Its sessions' lifecycle
 * events are `on` / `off` / `onBinding` ({@link SessionEvents}).
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export interface SessionManager<Data extends Record<string, unknown> = Record<string, any>> extends SessionEvents<Data> {
  /**
   * Opens the request's session, or a new one; sends nothing by itself (except when a remember cookie
   * restores an expired session, which issues fresh cookies at once, and when the request's session
   * cookies are over the `cookie.maxSize` budget, which expires them).
   */
  open(req: NodeRequest, res: NodeResponse): Promise<Session<Data>>;
  /** `open` for the Fetch API: Set-Cookie lines go into `responseHeaders`. */
  open(request: Request, responseHeaders: Headers, options?: FetchOpenOptions): Promise<Session<Data>>;
  /** `open` over any transport that implements {@link HttpExchange} (what the adapters use). */
  open(exchange: HttpExchange): Promise<Session<Data>>;
  /**
   * Opens the request's session and refreshes it (`open` + `refresh`: a touch or a save when due), then
   * sets the configured session headers. What most request handlers call.
   */
  start(req: NodeRequest, res: NodeResponse): Promise<Session<Data>>;
  /** `start` for the Fetch API: Set-Cookie lines go into `responseHeaders`. */
  start(request: Request, responseHeaders: Headers, options?: FetchOpenOptions): Promise<Session<Data>>;
  /** `start` over any transport that implements {@link HttpExchange} (what the adapters use). */
  start(exchange: HttpExchange): Promise<Session<Data>>;
  /**
   * Lists a subject's live server-side sessions (and remember records) in this manager's audience.
   * Needs server-side storage with `storeMetadata: true` and a store with `readMetadata`.
   * @param subject - the subject, as passed to `setSubject`
   * @param options - `audience` to look at another audience than the manager's
   * @returns one entry per live record: its storage key, its kind and when it expires (Unix seconds)
   * @throws TypeError when the manager has no metadata index; SessionError `'STORAGE_ERROR'`
   * @example for (const s of await sessions.listSessions('alice')) console.log(s.kind, s.expiresAt);
   */
  listSessions(subject: string, options?: { audience?: string }): Promise<SubjectSession[]>;
  /**
   * Revokes one of a subject's sessions by the `key` that `listSessions` returned: its record is
   * deleted, so its cookie stops working at once.
   * @returns whether a live record was listed under that key
   */
  revokeSession(subject: string, key: string, options?: { audience?: string }): Promise<boolean>;
  /**
   * Logs a subject out everywhere. With server-side storage and `storeMetadata`, deletes every session and
   * remember record listed for it in the audience; with a `revocation` store, also rejects every session
   * of the subject created before now, in every audience, cookie sessions included (to the second: a
   * session created in the same second as the call is not affected).
   * @returns how many server-side records were deleted (0 with cookie storage)
   * @throws TypeError when neither a metadata index nor a revocation store is configured
   */
  revokeSubject(subject: string, options?: { audience?: string }): Promise<number>;
  /** The validated options (no key material). */
  readonly options: Readonly<Omit<ResolvedOptions, 'keys' | 'crypto'>> & { readonly crypto: 'node' | 'noble' };
}

/** One live server-side record of a subject, from {@link SessionManager.listSessions}. */
export interface SubjectSession {
  /** The storage key (base64url of the session id, or of its SHA-256 with `hashStorageKey`). */
  readonly key: string;
  /** A session record, or the record of a remember cookie. */
  readonly kind: 'session' | 'remember';
  /** When the record expires, Unix seconds. */
  readonly expiresAt: number;
}

const MAX_CANDIDATES = 4;

/**
 * Creates a session manager.
 * @param options - at least `secret` (or `ikm`); everything else has lua-resty-session's defaults
 * @returns the manager
 * @throws TypeError or RangeError naming the first invalid option
 * @example
 * const sessions = createSessionManager({ secret: process.env.SESSION_SECRET, audience: 'shop' });
 * http.createServer(async (req, res) => {
 *   const session = await sessions.start(req, res);
 *   session.set('visits', (session.get('visits') ?? 0) + 1);
 *   await session.save();
 *   res.end(`visit ${session.get('visits')}`);
 * });
 */
export function createSessionManager<Schema extends StandardSchemaV1<unknown, Record<string, unknown>>>(
  options: SessionOptions & { schema: Schema },
): SessionManager<NonNullable<Schema['~standard']['types']>['output']>;
/**
 * Creates a session manager whose attributes are typed `Data` (unchecked at run time unless a `schema`
 * is given; with a `schema` and no type argument, `Data` is the schema's output type).
 * @param options - at least `secret` (or `ikm`)
 * @returns the manager
 * @throws TypeError or RangeError naming the first invalid option
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function createSessionManager<Data extends Record<string, unknown> = Record<string, any>>(options: SessionOptions): SessionManager<Data>;
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function createSessionManager<Data extends Record<string, unknown> = Record<string, any>>(options: SessionOptions): SessionManager<Data> {
  const o = resolveOptions(options);
  const events = createEmitter(o) as unknown as SessionEvents<Data>;
  const exchangeOf = (a: unknown, b: unknown, c: unknown): HttpExchange => {
    if (isFetchRequest(a)) {
      if (!(b instanceof Headers)) throw new TypeError('open(request, responseHeaders): responseHeaders expected a Headers object');
      const remoteAddress = (c as FetchOpenOptions | undefined)?.remoteAddress;
      return fetchExchange(a, b, remoteAddress === undefined ? { trustProxy: o.trustProxy } : { trustProxy: o.trustProxy, remoteAddress });
    }
    if (b === undefined && typeof (a as HttpExchange | undefined)?.setCookie === 'function') return a as HttpExchange;
    if (typeof (b as NodeResponse | undefined)?.setHeader !== 'function') {
      throw new TypeError('open() expected (IncomingMessage, ServerResponse), (Request, Headers) or an HttpExchange');
    }
    return nodeExchange(a as NodeRequest, b as NodeResponse, { trustProxy: o.trustProxy });
  };
  const names = cookieNames(o);
  const transport = o.transport;
  const sessionOf = (a: unknown, b: unknown, c: unknown): Session<Data> | Promise<Session<Data>> => {
    const x = exchangeOf(a, b, c);
    return openSession<Data>(o, names, transport === undefined ? x : headerExchange(x, transport, o));
  };
  const open = (a: unknown, b?: unknown, c?: unknown): Promise<Session<Data>> => {
    const x = exchangeOf(a, b, c);
    try {
      const session = openSession<Data>(o, names, transport === undefined ? x : headerExchange(x, transport, o));
      return session instanceof Promise ? session : Promise.resolve(session);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const sessionHeaders = o.requestHeaders.length > 0 || o.responseHeaders.length > 0;
  const refreshed = async (session: Session<Data>): Promise<Session<Data>> => {
    await session.refresh();
    if (sessionHeaders) session.setHeaders();
    return session;
  };
  // One Promise per request when nothing awaits I/O (cookie storage, nothing due or a synchronous save).
  const start = (a: unknown, b?: unknown, c?: unknown): Promise<Session<Data>> => {
    try {
      const session = sessionOf(a, b, c);
      if (session instanceof Promise) return session.then(refreshed);
      if (session.refreshSync() === undefined) return refreshed(session);
      if (sessionHeaders) session.setHeaders();
      return Promise.resolve(session);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const index = (subject: string, options: { audience?: string } | undefined) => {
    const storage = o.storage;
    if (storage?.readMetadata === undefined || !o.storeMetadata) {
      throw new TypeError('listing and revoking sessions needs server-side "storage" with readMetadata and "storeMetadata": true');
    }
    if (typeof subject !== 'string' || subject === '') throw new TypeError('subject expected a non-empty string');
    const audience = options?.audience ?? o.audience;
    return { storage, readMetadata: storage.readMetadata.bind(storage), ...indexOf(o, audience, subject) };
  };
  const storageFailure = (storage: Storage, cause: unknown): SessionError =>
    isSessionError(cause, 'STORAGE_ERROR') ? cause : new SessionError('STORAGE_ERROR', `${storage.name} storage failed to list or revoke sessions`, { cause, storage: storage.name });
  const listSessions = async (subject: string, options?: { audience?: string }): Promise<SubjectSession[]> => {
    const ix = index(subject, options);
    const now = Math.floor(o.now());
    const out: SubjectSession[] = [];
    try {
      for (const [kind, namespace] of [['session', o.cookieName], ['remember', o.rememberName]] as const) {
        for (const [key, expiresAt] of await ix.readMetadata(namespace, ix.audience, ix.subject, now)) out.push({ key, kind, expiresAt });
      }
    } catch (cause) {
      throw storageFailure(ix.storage, cause);
    }
    return out;
  };
  const revoke = async (subject: string, options: { audience?: string } | undefined, only?: string): Promise<number> => {
    const ix = index(subject, options);
    const now = Math.floor(o.now());
    const listed = await listSessions(subject, options);
    const metadata = { audiences: [ix.audience], subjects: [ix.subject] };
    let count = 0;
    for (const s of listed) {
      if (only !== undefined && s.key !== only) continue;
      try {
        await ix.storage.delete(s.kind === 'session' ? o.cookieName : o.rememberName, s.key, now, metadata);
      } catch (cause) {
        throw storageFailure(ix.storage, cause);
      }
      count++;
    }
    return count;
  };
  const { keys: _keys, crypto, ...visible } = o;
  return {
    open: open as SessionManager<Data>['open'],
    start: start as SessionManager<Data>['start'],
    listSessions,
    revokeSession: async (subject, key, options) => (await revoke(subject, options, key)) > 0,
    async revokeSubject(subject, options) {
      const indexed = o.storage?.readMetadata !== undefined && o.storeMetadata;
      if (!indexed && o.revocation === undefined) {
        throw new TypeError('revokeSubject needs server-side "storage" with "storeMetadata": true, or a "revocation" store');
      }
      if (typeof subject !== 'string' || subject === '') throw new TypeError('subject expected a non-empty string');
      const count = indexed ? await revoke(subject, options) : 0;
      // Cookie sessions: every session of the subject created before now is rejected, in every audience,
      // for as long as a cookie can live.
      await o.revocation?.revokeSubject(subject, MAX_COOKIE_LIFETIME, Math.floor(o.now()));
      return count;
    },
    options: Object.freeze({ ...visible, crypto: crypto.name }),
    on: (event, listener) => events.on(event, listener),
    off: (event, listener) => events.off(event, listener),
    onBinding: (name, listener) => events.onBinding(name, listener),
  };
}

/**
 * The names a manager reads from a request: `session`, `session2`, ..., `session9`, then the remember
 * cookie's nine. A request's values come back by index in this list: chunk `c` of the session cookie at
 * `c - 1`, of the remember cookie at `MAX_COOKIES + c - 1`.
 */
function cookieNames(o: ResolvedOptions): CookieNameList {
  const chunks = (base: string): string[] => Array.from({ length: MAX_COOKIES }, (_, i) => chunkName(base, i + 1));
  return new CookieNameList([...chunks(o.cookieName), ...chunks(o.rememberName)]);
}

/** Where a cookie kind's chunks start in the values {@link readCookies} returns. */
const firstChunk = (kind: 'session' | 'remember'): number => (kind === 'session' ? 0 : MAX_COOKIES);

/** The highest chunk number of a cookie kind present in `cookies` (0 when none). */
function chunksSent(cookies: RequestValues | undefined, kind: 'session' | 'remember'): number {
  if (cookies === undefined) return 0;
  const first = firstChunk(kind);
  for (let c = MAX_COOKIES; c >= 1; c--) if (cookies[first + c - 1] !== undefined) return c;
  return 0;
}

/** The request's values of the manager's cookie names, by index in {@link cookieNames}'s list. */
type RequestValues = readonly (readonly string[] | undefined)[];

/**
 * The reader's view of one request for one cookie kind. A class, not an object of closures: one or two
 * are made per request, and methods on a prototype cost nothing to create.
 */
class RequestCookies implements OpenContext {
  readonly kind: 'session' | 'remember';
  readonly now: number;
  readonly #crypto: ResolvedOptions['crypto'];
  readonly #exchange: HttpExchange;
  readonly #cookies: RequestValues | undefined;
  /** Where this kind's chunks start in `#cookies`. */
  readonly #first: number;

  constructor(kind: 'session' | 'remember', now: number, o: ResolvedOptions, x: HttpExchange, cookies: RequestValues | undefined) {
    this.kind = kind;
    this.now = now;
    this.#crypto = o.crypto;
    this.#exchange = x;
    this.#cookies = cookies;
    this.#first = firstChunk(kind);
  }

  chunk(index: number): string | undefined {
    return this.#cookies?.[this.#first + index - 1]?.[0];
  }

  binding(flags: number): Uint8Array | undefined {
    return clientBinding(this.#crypto, this.#exchange, flags);
  }
}

/** Reports a cookie that yielded no session; a failing hook must not turn bad input into a 500. */
function reportInvalid(o: ResolvedOptions, event: InvalidCookie): void {
  eventsOf(o)?.invalid(event);
  if (o.onInvalid === undefined) return;
  try {
    o.onInvalid(event);
  } catch {
    /* ignored, see above */
  }
}

/**
 * Opens one cookie value, then asks the revocation store (when configured) whether it was revoked, and
 * (for a cookie whose data the session will hold: `validate`) runs the `schema` / `migrate` options on it.
 * Without a Promise when nothing needs I/O: a session cookie under cookie storage with no revocation store,
 * and a schema (and `migrate`) that answer synchronously; an asynchronous validator continues the same
 * checks asynchronously.
 */
function openChecked(o: ResolvedOptions, value: string, ctx: RequestCookies, validate = true): OpenResult | Promise<OpenResult> {
  const sync = o.storage === undefined && o.revocation === undefined ? openCookieSync(o, value, ctx) : undefined;
  if (sync === undefined) return openCheckedAsync(o, value, ctx, validate);
  return sync.ok ? checkModel(o, sync, ctx, validate) : sync;
}

async function openCheckedAsync(o: ResolvedOptions, value: string, ctx: RequestCookies, validate: boolean): Promise<OpenResult> {
  const result = await openCookie(o, value, ctx);
  if (!result.ok) return result;
  const { header, entries } = result.cookie;
  if (o.revocation !== undefined && (await o.revocation.isRevoked(header.sid, header.creationTime, subjectsOf(entries), ctx.now))) {
    return { ok: false, reason: 'revoked', detail: 'session revoked' };
  }
  return checkModel(o, result, ctx, validate);
}

/** The `schema` / `migrate` step of {@link openChecked}, on a cookie that opened. */
function checkModel(o: ResolvedOptions, result: OpenResult & { ok: true }, ctx: RequestCookies, validate: boolean): OpenResult | Promise<OpenResult> {
  const { entries } = result.cookie;
  const own = validate && o.model !== undefined ? entries.find((e) => e.audience === o.audience) : undefined;
  if (own === undefined) return result;
  const failed = (err: unknown): OpenResult => {
    // A migrate hook that throws is a bug to report, not a reason to fail the request.
    o.logger.warn(`httpsession: "migrate" failed (${err instanceof Error ? err.name : typeof err}); a new session was started`, err);
    return modelFailed(o, result, ctx, own, 'migrate failed');
  };
  let checked: ModelResult | Promise<ModelResult>;
  try {
    checked = applyModel(o.model!, own);
  } catch (err) {
    return failed(err);
  }
  const settle = (c: ModelResult): OpenResult => (c.ok ? result : modelFailed(o, result, ctx, own, c.detail));
  return checked instanceof Promise ? checked.then(settle, failed) : settle(checked);
}

/** A cookie whose data the model refused: no session, or (other audiences share it) only this audience's entry dropped. */
function modelFailed(o: ResolvedOptions, result: OpenResult & { ok: true }, ctx: RequestCookies, own: SessionEntry, detail: string): OpenResult {
  const { entries } = result.cookie;
  if (ctx.kind === 'remember' || entries.length === 1) return { ok: false, reason: 'schema', detail };
  // Other audiences share the cookie: only this one's entry goes, so this audience starts a new session
  // (as with a cookie holding no entry for it) and theirs are kept.
  entries.splice(entries.indexOf(own), 1);
  reportInvalid(o, { reason: 'schema', cookie: 'session', detail });
  return result;
}

/**
 * Opens the first of up to {@link MAX_CANDIDATES} values that opens, reporting the others. With `report`
 * false (a remember cookie opened only for its id and creation time) nothing is reported or validated.
 * Synchronous as long as every candidate opens synchronously ({@link openChecked}).
 */
function openFirst(o: ResolvedOptions, values: readonly string[], ctx: RequestCookies, report: boolean, from = 0): OpenedCookie | undefined | Promise<OpenedCookie | undefined> {
  const n = Math.min(values.length, MAX_CANDIDATES);
  for (let i = from; i < n; i++) {
    const value = values[i]!;
    if (value === '') continue;
    const result = openChecked(o, value, ctx, report);
    if (result instanceof Promise) {
      return result.then((r) => {
        if (r.ok) return r.cookie;
        if (report) reportInvalid(o, { reason: r.reason, cookie: ctx.kind, detail: r.detail });
        return openFirst(o, values, ctx, report, i + 1);
      });
    }
    if (result.ok) return result.cookie;
    if (report) reportInvalid(o, { reason: result.reason, cookie: ctx.kind, detail: result.detail });
  }
  return undefined;
}

const NO_VALUES: readonly string[] = [];

/**
 * The request's session cookies are over the `cookie.maxSize` budget (an older deploy, a lowered budget):
 * they are not decoded, the response expires every one of them (so the client is not locked out by a
 * front end's header limit), and the request gets a new session.
 */
function shedOversized<Data extends Record<string, unknown>>(o: ResolvedOptions, x: HttpExchange, now: number, chunks: number, rememberChunks: number): Session<Data> {
  reportInvalid(o, { reason: 'oversized', cookie: 'session', detail: 'session cookies exceed the cookie size budget' });
  try {
    for (const [name, line] of [...expiredLines(o, o.cookieName, 1, chunks), ...expiredLines(o, o.rememberName, 1, rememberChunks)]) x.setCookie(name, line);
  } catch (err) {
    // Opened after the headers went out: nothing can be cleared, and bad input must not throw.
    if (!isSessionError(err, 'HEADERS_SENT')) throw err;
  }
  return new Session<Data>(o, x, { now, entries: [], exists: false, opened: undefined, requestChunks: 0, rememberChunks: 0, rememberCookie: undefined, rememberSent: false });
}

/**
 * Opens the request's session: without a Promise when nothing needs I/O (cookie storage, no revocation
 * store, a synchronous schema, no remember cookie to restore from), else asynchronously.
 */
function openSession<Data extends Record<string, unknown>>(o: ResolvedOptions, names: CookieNameList, x: HttpExchange): Session<Data> | Promise<Session<Data>> {
  const now = Math.floor(o.now());
  const header = x.cookieHeader();
  const cookies = header === undefined || header === '' ? undefined : readCookies(header, names);
  const sessionValues = cookies?.[firstChunk('session')] ?? NO_VALUES;
  const rememberValues = cookies?.[firstChunk('remember')] ?? NO_VALUES;
  const requestChunks = chunksSent(cookies, 'session');
  const rememberChunks = chunksSent(cookies, 'remember');
  if (cookies !== undefined && requestCookiesBytes(cookies, names.names) > o.cookieMaxSize) return shedOversized<Data>(o, x, now, requestChunks, rememberChunks);
  const opened = sessionValues.length === 0 ? undefined : openFirst(o, sessionValues, new RequestCookies('session', now, o, x, cookies), true);
  const request: OpenedRequest = { now, cookies, rememberValues, requestChunks, rememberChunks };
  if (opened instanceof Promise) return opened.then((c) => openedSession<Data>(o, x, request, c));
  return openedSession<Data>(o, x, request, opened);
}

/** What {@link openSession} read of the request, for {@link openedSession}. */
interface OpenedRequest {
  readonly now: number;
  readonly cookies: RequestValues | undefined;
  readonly rememberValues: readonly string[];
  readonly requestChunks: number;
  readonly rememberChunks: number;
}

/** The session of a request whose session cookie opened (or did not: `opened` undefined). */
function openedSession<Data extends Record<string, unknown>>(
  o: ResolvedOptions,
  x: HttpExchange,
  request: OpenedRequest,
  opened: OpenedCookie | undefined,
): Session<Data> | Promise<Session<Data>> {
  const { now, cookies, rememberValues, requestChunks, rememberChunks } = request;
  if (opened !== undefined) {
    return new Session<Data>(o, x, {
      now,
      entries: opened.entries,
      exists: opened.entries.some((e) => e.audience === o.audience),
      opened,
      requestChunks,
      rememberChunks,
      rememberCookie: undefined,
      rememberSent: rememberValues.length > 0,
      // The remember cookie is opened (PBKDF2) only if a save or destroy needs it (spec 4.4).
      ...(rememberValues.length > 0
        ? {
            loadRememberCookie: async () => {
              const r = await openFirst(o, rememberValues, new RequestCookies('remember', now, o, x, cookies), false);
              return r === undefined ? undefined : { sid: r.header.sid, creationTime: r.header.creationTime, storageKey: r.storageKey };
            },
          }
        : {}),
    });
  }

  // The session cookie is missing or invalid: a valid remember cookie restores a brand-new session with
  // the remembered data (spec 4.4), issuing both cookies at once.
  // Tried whatever the manager's `remember` option: a session may have switched remember-me on itself.
  if (rememberValues.length > 0) return restoreSession<Data>(o, x, request);
  return newSession<Data>(o, x, request);
}

/** A new session (nothing opened), expiring the chunks and remember cookie the request carried. */
function newSession<Data extends Record<string, unknown>>(o: ResolvedOptions, x: HttpExchange, request: OpenedRequest): Session<Data> {
  const { now, requestChunks, rememberChunks, rememberValues } = request;
  return new Session<Data>(o, x, {
    now,
    entries: [],
    exists: false,
    opened: undefined,
    requestChunks,
    rememberChunks,
    rememberCookie: undefined,
    rememberSent: rememberValues.length > 0,
  });
}

/** {@link openedSession} for a request with a remember cookie and no session cookie that opened. */
async function restoreSession<Data extends Record<string, unknown>>(o: ResolvedOptions, x: HttpExchange, request: OpenedRequest): Promise<Session<Data>> {
  const { now, cookies, rememberValues, requestChunks, rememberChunks } = request;
  const ctx = new RequestCookies('remember', now, o, x, cookies);
  for (const value of rememberValues.slice(0, MAX_CANDIDATES)) {
    if (value === '') continue;
    const result = await openChecked(o, value, ctx);
    if (!result.ok) {
      reportInvalid(o, { reason: result.reason, cookie: 'remember', detail: result.detail });
      continue;
    }
    // Only a session that chose remember-me (or a manager that remembers every session) is restored:
    // with rememberSafety 'none' a session cookie would otherwise pass for a remember cookie.
    const own = result.cookie.entries.find((e) => e.audience === o.audience);
    if (own === undefined) {
      reportInvalid(o, { reason: 'not-found', cookie: 'remember', detail: 'missing session audience' });
      continue;
    }
    if (!o.remember && own.data['@remember'] !== true) {
      reportInvalid(o, { reason: 'malformed', cookie: 'remember', detail: 'remember-me is off for this session' });
      continue;
    }
    const h = result.cookie.header;
    const session = new Session<Data>(o, x, {
      now,
      entries: result.cookie.entries,
      exists: true,
      opened: undefined,
      requestChunks,
      rememberChunks,
      rememberCookie: { sid: h.sid, creationTime: h.creationTime, storageKey: result.cookie.storageKey },
      rememberSent: true,
    });
    if (session.remember) await session.save();
    return session;
  }
  return newSession<Data>(o, x, request);
}
