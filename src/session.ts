/**
 * The Session: attributes, identity and times, timeouts, and the lifecycle (save, touch, refresh,
 * regenerate, logout, destroy, close) with lua-resty-session 4's semantics (spec 3, 4).
 *
 * A session is created by `SessionManager.open()` / `start()` for one request. Its attributes belong to
 * the manager's audience; other audiences sharing the cookie are carried along untouched.
 *
 * @module
 */
import { base64urlEncode } from './codec/base64url.ts';
import { Flags } from './codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, deriveRememberKey, type EncryptionKey } from './codec/keys.ts';
import { encodePayload, type EncodedPayload, type SessionEntry } from './codec/payload.ts';
import { bindDigest, retouch, seal, sealedText } from './codec/seal.ts';
import { withoutCookies } from './cookie/parse.ts';
import { chunkCount, MAX_COOKIE_LIFETIME, chunkName, EXPIRED, firstChunkLength, httpDate, splitChunks } from './cookie/serialize.ts';
import { isSessionError, SessionError } from './errors.ts';
import { clientBinding, type HttpExchange } from './http/types.ts';
import { assertJsonValue } from './json.ts';
import { metadataOf } from './metadata.ts';
import { HEADER_NAMES, type HeaderProperty, type ResolvedOptions, type Timeouts } from './options.ts';
import { cacheOpenedCookie, effectiveTimeouts, storageKeyOf, TIMEOUTS_KEY, type OpenedCookie } from './reader.ts';
import type { StorageMetadata } from './storage/types.ts';

/** `'new'`: not saved yet; `'open'`: loaded from a cookie or saved; `'closed'`: destroyed, logged out or closed. */
export type SessionState = 'new' | 'open' | 'closed';

/**
 * Remaining seconds of each enabled timeout; `undefined` where a timeout is disabled. The closest of them
 * is `Session.timeToLive`.
 */
export interface TimeRemaining {
  readonly idling: number | undefined;
  readonly rolling: number | undefined;
  readonly absolute: number | undefined;
}

/** The cookie the client holds (loaded from the request, or written by this request). */
interface Current {
  header: Uint8Array;
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly rollingOffset: number;
  idlingOffset: number;
  readonly flags: number;
  readonly macKey: Uint8Array;
  /** base64url ciphertext (cookie storage: needed to re-send the first chunk on touch). */
  readonly payload: string;
  readonly storageKey: string | undefined;
}

/** The remember cookie the client holds. */
interface RememberCookie {
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly storageKey: string | undefined;
}

/** How the manager hands a session its starting state. @internal */
export interface SessionInit {
  readonly now: number;
  readonly entries: SessionEntry[];
  readonly exists: boolean;
  readonly opened: OpenedCookie | undefined;
  /** Chunk cookies the request carried (`session`, `session2`, ...), to expire leftovers. */
  readonly requestChunks: number;
  /** Remember cookie chunks the request carried (`remember`, `remember2`, ...); default 1 when sent. */
  readonly rememberChunks?: number;
  readonly rememberCookie: RememberCookie | undefined;
  /** Whether the request carried a remember cookie at all. */
  readonly rememberSent: boolean;
  /**
   * Opens the request's remember cookie on demand, when the session cookie itself opened: a save keeps
   * its creation time and a destroy deletes its record (spec 4.4).
   */
  readonly loadRememberCookie?: () => Promise<RememberCookie | undefined>;
}

/** Reserved attribute holding the per-session remember-me choice. */
const REMEMBER_KEY = '@remember';


/**
 * One visitor's session for one request.
 *
 * @typeParam Data - the shape of this application's attributes
 * @example
 * const session = await sessions.start(req, res);
 * session.set('visits', (session.get('visits') ?? 0) + 1);
 * await session.save();
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export class Session<Data extends Record<string, unknown> = Record<string, any>> {
  readonly #o: ResolvedOptions;
  readonly #x: HttpExchange;
  #state: SessionState;
  #entries: SessionEntry[];
  #entry: SessionEntry;
  #exists: boolean;
  #current: Current | undefined;
  #pendingSid: Uint8Array | undefined;
  readonly #openedAt: number;
  #remember: boolean | undefined;
  #rememberCookie: RememberCookie | undefined;
  #rememberSent: boolean;
  #loadRememberCookie: (() => Promise<RememberCookie | undefined>) | undefined;
  #chunks: number;
  #noStoreSent = false;
  /** The subject changed since the session was loaded: the next save rotates the id (fixation). */
  #rotate = false;
  #rememberChunks: number;

  /** @internal Sessions are created by `SessionManager.open()` and `start()`. */
  constructor(options: ResolvedOptions, exchange: HttpExchange, init: SessionInit) {
    this.#o = options;
    this.#x = exchange;
    this.#openedAt = init.now;
    this.#entries = init.entries;
    let entry = init.entries.find((e) => e.audience === options.audience);
    if (entry === undefined) {
      entry = { data: {}, audience: options.audience, subject: options.subject };
      this.#entries.push(entry);
    }
    this.#entry = entry;
    this.#exists = init.exists;
    this.#state = init.exists ? 'open' : 'new';
    this.#chunks = init.requestChunks;
    this.#rememberChunks = init.rememberChunks ?? (init.rememberSent ? 1 : 0);
    this.#rememberCookie = init.rememberCookie;
    this.#rememberSent = init.rememberSent;
    this.#loadRememberCookie = init.rememberCookie === undefined ? init.loadRememberCookie : undefined;
    const opened = init.opened;
    if (opened !== undefined && init.exists) {
      const h = opened.header;
      this.#current = {
        header: h.bytes,
        sid: h.sid,
        creationTime: h.creationTime,
        rollingOffset: h.rollingOffset,
        idlingOffset: h.idlingOffset,
        flags: h.flags,
        macKey: opened.macKey,
        payload: opened.payload,
        storageKey: opened.storageKey,
      };
      if ((h.flags & Flags.forget) !== 0) this.#remember = false;
    }
    // A per-session choice (setRemember) travels inside the session, so it holds on later requests.
    const chosen = Object.hasOwn(entry.data, REMEMBER_KEY) ? entry.data[REMEMBER_KEY] : undefined;
    if (typeof chosen === 'boolean') this.#remember = chosen;
  }

  // ---------------------------------------------------------------- attributes

  /**
   * Reads an attribute.
   * @param name - the attribute name
   * @returns its value, or `undefined` when not set
   * @throws SessionError `'SESSION_CLOSED'` after destroy, logout or close
   */
  get<K extends keyof Data & string>(name: K): Data[K] | undefined {
    this.#assertUsable();
    const data = this.#entry.data;
    return (Object.hasOwn(data, name) && !name.startsWith('@') ? data[name] : undefined) as Data[K] | undefined;
  }

  /**
   * Sets an attribute; `undefined` removes it. Nothing is sent until `save()`.
   * @param name - the attribute name (names starting with `@` are reserved)
   * @param value - a value that survives JSON
   * @throws TypeError when the value would not survive JSON (naming the attribute) or the name is reserved
   * @throws SessionError `'SESSION_CLOSED'` after destroy, logout or close
   */
  set<K extends keyof Data & string>(name: K, value: Data[K] | undefined): this {
    this.#assertUsable();
    assertName(name);
    if (value === undefined) return this.remove(name);
    assertJsonValue(name, value);
    defineData(this.#entry.data, name, value);
    return this;
  }

  /**
   * Removes an attribute (a no-op when absent).
   * @param name - the attribute name
   */
  remove(name: keyof Data & string): this {
    this.#assertUsable();
    assertName(name);
    delete this.#entry.data[name];
    return this;
  }

  /** Whether an attribute is set. */
  has(name: keyof Data & string): boolean {
    this.#assertUsable();
    return Object.hasOwn(this.#entry.data, name) && !name.startsWith('@');
  }

  /** The names of the attributes that are set. */
  names(): Array<keyof Data & string> {
    this.#assertUsable();
    return Object.keys(this.#entry.data).filter((k) => !k.startsWith('@')) as Array<keyof Data & string>;
  }

  /** Iterates `[name, value]` pairs. */
  *[Symbol.iterator](): IterableIterator<[keyof Data & string, Data[keyof Data & string]]> {
    for (const name of this.names()) yield [name, this.#entry.data[name] as Data[keyof Data & string]];
  }

  /** Removes every attribute (timeout overrides are kept). */
  clear(): this {
    this.#assertUsable();
    for (const name of this.names()) delete this.#entry.data[name];
    return this;
  }

  /**
   * A deep copy of all attributes.
   * @returns a plain object
   */
  getData(): Partial<Data> {
    this.#assertUsable();
    const out: Record<string, unknown> = {};
    for (const name of this.names()) defineData(out, name, structuredClone(this.#entry.data[name]));
    return out as Partial<Data>;
  }

  /**
   * Replaces all attributes.
   * @param data - a plain object whose values survive JSON
   * @throws TypeError naming the first attribute that would not survive JSON
   */
  setData(data: Partial<Data>): this {
    this.#assertUsable();
    for (const [name, value] of Object.entries(data)) {
      assertName(name);
      if (value !== undefined) assertJsonValue(name, value);
    }
    this.clear();
    for (const [name, value] of Object.entries(data)) if (value !== undefined) defineData(this.#entry.data, name, structuredClone(value));
    return this;
  }

  // ---------------------------------------------------------------- identity and times

  /** The session id (43 base64url characters). A new id is minted on every save. */
  get id(): string {
    return base64urlEncode(this.#current?.sid ?? (this.#pendingSid ??= this.#o.randomBytes(32)));
  }

  /** True until the client has sent the session cookie back (a session created by this request). */
  get isNew(): boolean {
    return !this.#exists;
  }

  /** `'new'`, `'open'` or `'closed'`. */
  get state(): SessionState {
    return this.#state;
  }

  /** When the session was created, Unix seconds. */
  get creationTime(): number {
    return this.#current?.creationTime ?? Math.floor(this.#openedAt);
  }

  /**
   * When the client last used the session, Unix seconds: the request arrival recorded by the last save
   * or touch (to within `touchThreshold`), not the time of attribute reads or writes.
   */
  get lastAccessedTime(): number {
    const c = this.#current;
    return c === undefined ? this.creationTime : c.creationTime + c.rollingOffset + c.idlingOffset;
  }

  /** This application's audience. */
  get audience(): string {
    return this.#entry.audience;
  }

  /**
   * Renames this session's audience; an entry that already had `audience` is dropped.
   * @param audience - a non-empty string
   */
  setAudience(audience: string): this {
    this.#assertUsable();
    if (typeof audience !== 'string' || audience === '') throw new TypeError('audience expected a non-empty string');
    this.#entries = this.#entries.filter((e) => e === this.#entry || e.audience !== audience);
    this.#entry.audience = audience;
    return this;
  }

  /** The subject (typically the user id), or `undefined`. */
  get subject(): string | undefined {
    return this.#entry.subject;
  }

  /**
   * Sets the subject; `undefined` clears it. Changing the subject of a saved session makes its next save
   * a `regenerate()`: a new id, with the old one unusable at once (fixation defence).
   * @param subject - typically the authenticated user's id
   */
  setSubject(subject: string | undefined): this {
    this.#assertUsable();
    if (subject !== undefined && typeof subject !== 'string') throw new TypeError('subject expected a string or undefined');
    if (subject !== this.#entry.subject && this.#current !== undefined) this.#rotate = true;
    this.#entry.subject = subject;
    return this;
  }

  /** Whether a persistent remember-me cookie is issued on save. */
  get remember(): boolean {
    return this.#remember ?? this.#o.remember;
  }

  /**
   * Switches the remember-me cookie on or off for this session, whatever the manager's `remember` option;
   * the choice is kept in the session (and off also in the cookie's forget flag, as lua-resty-session
   * does; unlike lua-resty-session, remember-me can be switched on again).
   */
  setRemember(remember: boolean): this {
    this.#assertUsable();
    if (typeof remember !== 'boolean') throw new TypeError('remember expected a boolean');
    this.#remember = remember;
    defineData(this.#entry.data, REMEMBER_KEY, remember);
    return this;
  }

  // ---------------------------------------------------------------- timeouts

  /** Timeouts in force for this session (its own, else the manager's), seconds, 0 = never. */
  get timeouts(): Readonly<Timeouts> {
    return effectiveTimeouts(this.#o.timeouts, this.#entry.data);
  }

  /**
   * Sets this session's idle timeout, kept in the session (like the servlet `setMaxInactiveInterval`).
   * @param seconds - seconds of inactivity; a value <= 0 means never
   */
  setIdlingTimeout(seconds: number): this {
    return this.#setTimeout('idling', seconds, 2 ** 24 - 1);
  }

  /** Sets this session's rolling timeout; a value <= 0 means never. */
  setRollingTimeout(seconds: number): this {
    return this.#setTimeout('rolling', seconds, 2 ** 32 - 1);
  }

  /** Sets this session's absolute timeout; a value <= 0 means never. */
  setAbsoluteTimeout(seconds: number): this {
    return this.#setTimeout('absolute', seconds, 2 ** 32 - 1);
  }

  #setTimeout(name: keyof Timeouts, seconds: number, max: number): this {
    this.#assertUsable();
    if (typeof seconds !== 'number' || Number.isNaN(seconds)) throw new TypeError(`${name} timeout expected a number of seconds`);
    const value = seconds <= 0 ? 0 : Math.min(Math.floor(seconds), max);
    const own = { ...this.timeouts, [name]: value };
    defineData(this.#entry.data, TIMEOUTS_KEY, { idling: own.idling, rolling: own.rolling, absolute: own.absolute });
    return this;
  }

  /**
   * Seconds left before each enabled timeout, at the injected clock's current time.
   * @returns remaining seconds (never negative)
   */
  timeRemaining(): TimeRemaining {
    const now = this.#o.now();
    const t = this.timeouts;
    const created = this.creationTime;
    const rollingStart = created + (this.#current?.rollingOffset ?? 0);
    const left = (limit: number, since: number): number | undefined => (limit > 0 ? Math.max(0, Math.floor(limit - (now - since))) : undefined);
    return { idling: left(t.idling, this.lastAccessedTime), rolling: left(t.rolling, rollingStart), absolute: left(t.absolute, created) };
  }

  /**
   * Seconds until the session times out (the closest of its enabled timeouts), or `undefined` when no
   * timeout is enabled. Sent as `Session-Timeout` by `setHeaders('timeout')`.
   */
  get timeToLive(): number | undefined {
    const r = this.timeRemaining();
    let min: number | undefined;
    for (const v of [r.idling, r.rolling, r.absolute]) if (v !== undefined && (min === undefined || v < min)) min = v;
    return min;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Saves the session: a new session id, the data sealed into the cookie (or the store), the cookie
   * written, and the remember cookie re-issued when remember-me is on.
   * @throws SessionError `'STORAGE_ERROR'` when the store fails (nothing is written; the previous
   *   session stays valid), `'HEADERS_SENT'`, `'SESSION_TOO_LARGE'`, `'SESSION_CLOSED'`
   */
  async save(): Promise<void> {
    this.#assertUsable();
    await this.#save(false);
    this.#state = 'open';
  }

  /**
   * Gives the session a new id now, keeping its data and creation time: call it on login or any privilege
   * change to prevent fixation. With server-side storage the old record is deleted at once (no
   * `staleTtl` window), so the old cookie stops working. With cookie storage a copy of the old cookie
   * stays valid until its timeouts pass: the server keeps nothing it could forget.
   */
  async regenerate(): Promise<void> {
    this.#assertUsable();
    await this.#save(true);
    this.#state = 'open';
  }

  /**
   * Extends the idle timeout without re-encrypting: only the header's idling offset and MAC change, and
   * only the first cookie is re-sent. No store call.
   * @returns `false` when there is no saved session to touch
   */
  touch(): boolean {
    this.#assertUsable();
    const c = this.#current;
    if (c === undefined) return false;
    const now = Math.floor(this.#o.now());
    c.idlingOffset = Math.max(0, now - c.creationTime - c.rollingOffset);
    c.header = retouch(this.#o.crypto, c.header, c.idlingOffset, c.macKey, this.#binding(c.flags));
    const headerText = base64urlEncode(c.header);
    const o = this.#o;
    const value = o.storage !== undefined ? headerText : headerText + c.payload;
    const count = o.storage !== undefined ? 1 : chunkCount(o.cookieName.length, value.length);
    const first = value.slice(0, firstChunkLength(o.cookieName, value.length, count));
    this.#setCookie(o.cookieName, `${o.cookieName}=${first}${o.cookieAttributes}`);
    return true;
  }

  /**
   * Keeps an active session alive: saves (new id) when more than 3/4 of the rolling timeout has passed,
   * else touches when more than `touchThreshold` seconds passed since the last touch, else does nothing.
   * @returns what it did
   */
  async refresh(): Promise<'saved' | 'touched' | 'none'> {
    this.#assertUsable();
    const c = this.#current;
    if (c === undefined) return 'none';
    const t = this.timeouts;
    if (t.rolling === 0 && t.idling === 0) return 'none';
    const elapsed = Math.floor(this.#o.now()) - c.creationTime - c.rollingOffset;
    if (t.rolling > 0 && elapsed > Math.ceil(t.rolling * 0.75)) {
      await this.save();
      return 'saved';
    }
    if (t.idling > 0 && elapsed - c.idlingOffset > this.#o.touchThreshold) {
      this.touch();
      return 'touched';
    }
    return 'none';
  }

  /**
   * Ends this audience's share of the session: destroys the session when it was the only audience,
   * else removes this audience and saves the others. The session is closed afterwards.
   */
  async logout(): Promise<void> {
    this.#assertUsable();
    if (this.#entries.length <= 1) {
      await this.destroy();
      return;
    }
    this.#entries = this.#entries.filter((e) => e !== this.#entry);
    await this.#save(true);
    this.#state = 'closed';
  }

  /**
   * Invalidates the session: expires its cookies (session, chunks, remember) and deletes its store
   * records. The session is closed afterwards.
   */
  async destroy(): Promise<void> {
    this.#assertUsable();
    this.#x.assertWritable();
    const o = this.#o;
    const now = Math.floor(this.#o.now());
    if (o.storage !== undefined || o.revocation !== undefined) await this.#resolveRememberCookie();
    if (o.revocation !== undefined) {
      const c = this.#current;
      if (c !== undefined) await o.revocation.revokeId(c.sid, this.#lifetimeLeft(c.creationTime, c.rollingOffset, this.timeouts, now), now);
      const r = this.#rememberCookie;
      if (r !== undefined) await o.revocation.revokeId(r.sid, this.#lifetimeLeft(r.creationTime, now - r.creationTime, o.rememberTimeouts, now), now);
    }
    if (o.storage !== undefined) {
      const c = this.#current;
      if (c?.storageKey !== undefined) await this.#storage(() => o.storage!.delete(o.cookieName, c.storageKey!, now, this.#metadata()), 'delete');
      const r = this.#rememberCookie;
      if (r?.storageKey !== undefined) await this.#storage(() => o.storage!.delete(o.rememberName, r.storageKey!, now, this.#metadata()), 'delete');
    }
    const expire = (name: string): void => this.#setCookie(name, `${name}=${o.cookieAttributes}${EXPIRED}`);
    expire(o.cookieName);
    for (let i = 2; i <= this.#chunks; i++) expire(chunkName(o.cookieName, i));
    if (this.#rememberSent || this.#rememberCookie !== undefined) {
      for (let i = 1; i <= Math.max(this.#rememberChunks, 1); i++) expire(chunkName(o.rememberName, i));
    }
    this.#current = undefined;
    this.#state = 'closed';
  }

  /** Closes the session without sending anything; any further use throws. */
  close(): void {
    this.#state = 'closed';
  }

  // ---------------------------------------------------------------- headers

  /**
   * Sets session properties as headers: with no arguments the configured `requestHeaders` on the request
   * and `responseHeaders` on the response; with arguments, those properties on both.
   * @param properties - e.g. `'id'`, `'timeout'`
   */
  setHeaders(...properties: HeaderProperty[]): this {
    const request = properties.length > 0 ? properties : this.#o.requestHeaders;
    const response = properties.length > 0 ? properties : this.#o.responseHeaders;
    for (const p of request) {
      const v = this.#property(p);
      if (v !== undefined) this.#x.setRequestHeader(HEADER_NAMES[p], v);
    }
    for (const p of response) {
      const v = this.#property(p);
      if (v !== undefined) this.#x.setResponseHeader(HEADER_NAMES[p], v);
    }
    return this;
  }

  /**
   * Removes the session cookies (all chunks, and the remember cookie) from the request's `Cookie` header,
   * so that they are not forwarded to an upstream service.
   * @returns the remaining `Cookie` header value, or `undefined` when none remains
   */
  clearRequestCookie(): string | undefined {
    const header = this.#x.cookieHeader();
    if (header === undefined) return undefined;
    const o = this.#o;
    const remaining = withoutCookies(header, (name) => {
      if (name === o.cookieName || name === o.rememberName) return true;
      const base = name.startsWith(o.cookieName) ? o.cookieName : name.startsWith(o.rememberName) ? o.rememberName : undefined;
      if (base === undefined) return false;
      const index = name.slice(base.length);
      return index.length === 1 && index >= '2' && index <= '9';
    });
    this.#x.setRequestHeader('cookie', remaining);
    return remaining;
  }

  #property(p: HeaderProperty): string | undefined {
    switch (p) {
      case 'id':
        return this.#current === undefined ? undefined : this.id;
      case 'audience':
        return this.audience;
      case 'subject':
        return this.subject;
      default: {
        const r = this.timeRemaining();
        const v = p === 'timeout' ? this.timeToLive : p === 'idling-timeout' ? r.idling : p === 'rolling-timeout' ? r.rolling : r.absolute;
        return v === undefined ? undefined : String(v);
      }
    }
  }

  // ---------------------------------------------------------------- internals

  /** Writes one Set-Cookie line; the first also sends `Cache-Control: no-store` (unless opted out). */
  #setCookie(name: string, line: string): void {
    this.#x.setCookie(name, line);
    if (this.#o.cacheControl && !this.#noStoreSent) {
      this.#x.setResponseHeader('Cache-Control', 'no-store');
      this.#noStoreSent = true;
    }
  }

  #assertUsable(): void {
    if (this.#state === 'closed') throw new SessionError('SESSION_CLOSED', 'the session was destroyed, logged out or closed');
  }

  #binding(flags: number): Uint8Array | undefined {
    return clientBinding(this.#o.crypto, this.#x, flags);
  }

  #metadata(): StorageMetadata | undefined {
    return metadataOf(this.#o, this.#entries);
  }

  async #storage<T>(call: () => Promise<T>, what: string): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      if (isSessionError(cause, 'STORAGE_ERROR')) throw cause;
      const name = this.#o.storage?.name ?? 'storage';
      throw new SessionError('STORAGE_ERROR', `${name} storage failed to ${what} a session`, { cause, storage: name });
    }
  }

  /** Loads the request's remember cookie once, if the manager left it unopened. */
  async #resolveRememberCookie(): Promise<void> {
    const load = this.#loadRememberCookie;
    if (load === undefined) return;
    this.#loadRememberCookie = undefined;
    this.#rememberCookie ??= await load();
  }

  /**
   * Puts a replaced session id on the revocation list (when one is configured): at once when the session
   * was regenerated, after `staleTtl` seconds when it was merely re-saved.
   */
  async #revokeReplaced(prev: Current, atOnce: boolean, now: number): Promise<void> {
    const r = this.#o.revocation;
    if (r === undefined) return;
    const ttl = this.#lifetimeLeft(prev.creationTime, prev.rollingOffset, this.timeouts, now);
    await r.revokeId(prev.sid, ttl, now, atOnce ? now : now + this.#o.staleTtl);
  }

  /** The subjects of this session's entries, for the revocation check. */
  #subjects(): string[] {
    const out = new Set<string>();
    for (const e of this.#entries) if (e.subject !== undefined) out.add(e.subject);
    return [...out];
  }

  /** Seconds a cookie could still be accepted: the rolling or absolute time left (idling can be extended). */
  #lifetimeLeft(creationTime: number, rollingOffset: number, t: Timeouts, now: number): number {
    let left = MAX_COOKIE_LIFETIME;
    if (t.rolling > 0) left = Math.min(left, t.rolling - (now - creationTime - rollingOffset));
    if (t.absolute > 0) left = Math.min(left, t.absolute - (now - creationTime));
    return Math.max(left, 1);
  }

  /** Store TTL: the rolling or absolute time left, whichever is closer (fixes spec bug 10.1). */
  #storeTtl(t: Timeouts, now: number, creationTime: number): number {
    let ttl = t.rolling > 0 && t.rolling < MAX_COOKIE_LIFETIME ? t.rolling : MAX_COOKIE_LIFETIME;
    if (t.absolute > 0 && t.absolute < MAX_COOKIE_LIFETIME) ttl = Math.min(ttl, t.absolute - (now - creationTime));
    return Math.max(ttl, 1);
  }

  /**
   * Seals the entries under a fresh session id and writes the cookie (and record).
   * @param dropOld - delete the previous record at once instead of keeping it `staleTtl` seconds
   */
  async #save(regenerate: boolean): Promise<void> {
    const o = this.#o;
    this.#x.assertWritable();
    if (this.remember || o.storage !== undefined || o.revocation !== undefined) await this.#resolveRememberCookie();
    const now = Math.floor(o.now());
    const prev = this.#current;
    const dropOld = regenerate || this.#rotate;
    // Resurrection: a request that loaded the session before another one destroyed it must not bring
    // it back by saving (security checklist case 34).
    if (prev !== undefined && o.revocation !== undefined && (await o.revocation.isRevoked(prev.sid, prev.creationTime, this.#subjects(), now))) {
      throw revokedError();
    }
    if (o.enforceSameSubject) {
      const subject = this.#entry.subject;
      this.#entries = this.#entries.filter((e) => e === this.#entry || e.subject === subject);
    }
    // A session id is sealed at most once, even if this save fails later: no (key, IV) pair is reused.
    const sid = (prev === undefined ? this.#pendingSid : undefined) ?? o.randomBytes(32);
    this.#pendingSid = undefined;
    const creationTime = prev === undefined ? now : prev.creationTime;
    const rollingOffset = prev === undefined ? 0 : now - creationTime;
    const encoded = encodePayload(this.#entries, o.compressionThreshold);
    const remember = this.remember;
    let flags = o.bindFlags | (encoded.deflated ? Flags.deflate : 0) | (o.storage !== undefined ? Flags.storage : 0);
    if (!remember && this.#remember === false) flags |= Flags.forget;
    const material = o.keys[0]!;
    const macKey = deriveMacKey(o.crypto, material, sid);
    const key = deriveEncryptionKey(o.crypto, material, sid);
    const binding = this.#binding(flags);
    const raw = seal(o.crypto, { flags, sid, creationTime, rollingOffset, idlingOffset: 0, plaintext: encoded.bytes }, key, macKey, binding);
    const sealed = sealedText(raw);

    // Prepare the remember cookie before writing anything, so a failure leaves the response untouched.
    const rememberLines = remember ? await this.#sealRemember(now, encoded, dropOld) : undefined;

    let storageKey: string | undefined;
    let lines: Array<[string, string]>;
    if (o.storage !== undefined) {
      storageKey = storageKeyOf(o, sid);
      const ttl = this.#storeTtl(this.timeouts, now, creationTime);
      const oldKey = dropOld ? undefined : prev?.storageKey;
      const written = await this.#storage(
        () =>
          o.storage!.set({
            namespace: o.cookieName,
            key: storageKey!,
            value: JSON.stringify([sealed.payload]),
            ttl,
            now,
            oldKey,
            staleTtl: o.staleTtl,
            metadata: this.#metadata(),
          }),
        'save',
      );
      // The previous record must still exist after the new one is written: if another request destroyed
      // it meanwhile, the new record is withdrawn instead of resurrecting the session. The bundled stores
      // tell from the write itself; for any other store (or a regenerate, which passes no oldKey) it is read.
      const oldKeyLive =
        prev?.storageKey === undefined
          ? true
          : oldKey !== undefined && typeof written === 'object' && written !== null && typeof written.oldKeyLive === 'boolean'
            ? written.oldKeyLive
            : (await this.#storage(() => o.storage!.get(o.cookieName, prev.storageKey!, now), 'read')) !== null;
      if (!oldKeyLive) {
        await this.#storage(() => o.storage!.delete(o.cookieName, storageKey!, now, this.#metadata()), 'delete');
        throw revokedError();
      }
      if (dropOld && prev !== undefined) await this.#revokeReplaced(prev, true, now);
      if (dropOld && prev?.storageKey !== undefined) {
        await this.#storage(() => o.storage!.delete(o.cookieName, prev.storageKey!, now, this.#metadata()), 'delete');
      }
      lines = [[o.cookieName, `${o.cookieName}=${sealed.header}${o.cookieAttributes}`]];
    } else {
      lines = this.#chunkLines(o.cookieName, sealed.header + sealed.payload, '');
    }
    if (rememberLines !== undefined) await rememberLines.commit();
    if (prev !== undefined && !(dropOld && o.storage !== undefined)) await this.#revokeReplaced(prev, dropOld, now);
    this.#rotate = false;

    for (const [name, line] of lines) this.#setCookie(name, line);
    for (let i = lines.length + 1; i <= this.#chunks; i++) {
      const name = chunkName(o.cookieName, i);
      this.#setCookie(name, `${name}=${o.cookieAttributes}${EXPIRED}`);
    }
    this.#chunks = lines.length;
    if (rememberLines !== undefined) {
      for (const [name, line] of rememberLines.lines) this.#setCookie(name, line);
      for (let i = rememberLines.lines.length + 1; i <= this.#rememberChunks; i++) {
        const name = chunkName(o.rememberName, i);
        this.#setCookie(name, `${name}=${o.cookieAttributes}${EXPIRED}`);
      }
      this.#rememberChunks = rememberLines.lines.length;
    } else if (this.#rememberSent || this.#rememberCookie !== undefined) {
      const r = this.#rememberCookie;
      if (o.storage !== undefined && r?.storageKey !== undefined) {
        await this.#storage(() => o.storage!.delete(o.rememberName, r.storageKey!, now, this.#metadata()), 'delete');
      }
      for (let i = 1; i <= Math.max(this.#rememberChunks, 1); i++) {
        const name = chunkName(o.rememberName, i);
        this.#setCookie(name, `${name}=${o.cookieAttributes}${EXPIRED}`);
      }
      this.#rememberChunks = 0;
      this.#rememberCookie = undefined;
      this.#rememberSent = false;
    }

    // The next request presents this cookie: it opens from the cache, without a MAC check or decryption.
    cacheOpenedCookie(o, 'session', sealed.header, sealed.payload, encoded.json, 0, macKey, binding);
    this.#current = {
      header: raw.header,
      sid,
      creationTime,
      rollingOffset,
      idlingOffset: 0,
      flags,
      macKey,
      payload: sealed.payload,
      storageKey,
    };
    if (o.responseHeaders.length > 0) this.setHeaders();
  }

  #chunkLines(name: string, value: string, extra: string): Array<[string, string]> {
    const o = this.#o;
    const count = chunkCount(name.length, value.length);
    if (count === 0) {
      throw new SessionError('SESSION_TOO_LARGE', `the session does not fit in ${name} cookies (9 x 4096 bytes); use server-side storage or store less`);
    }
    return splitChunks(name, value, count).map((chunk, i) => {
      const n = chunkName(name, i + 1);
      return [n, `${n}=${chunk}${o.cookieAttributes}${extra}`];
    });
  }

  /** Seals the remember cookie; the store write (if any) happens in `commit`. */
  async #sealRemember(now: number, encoded: EncodedPayload, rotate: boolean): Promise<{ lines: Array<[string, string]>; commit(): Promise<void> }> {
    const o = this.#o;
    const { bytes: plaintext, deflated, json } = encoded;
    const sid = o.randomBytes(32);
    const creationTime = this.#rememberCookie?.creationTime ?? now;
    const rollingOffset = now - creationTime;
    const material = o.keys[0]!;
    const flags = o.bindFlags | (deflated ? Flags.deflate : 0) | (o.storage !== undefined ? Flags.storage : 0);
    const key: EncryptionKey = await deriveRememberKey(o.crypto, material, sid, o.rememberSafety);
    const macKey = deriveMacKey(o.crypto, material, sid);
    const binding = this.#binding(flags);
    const sealed = sealedText(seal(o.crypto, { flags, sid, creationTime, rollingOffset, idlingOffset: 0, plaintext }, key, macKey, binding));
    const t = o.rememberTimeouts;
    const maxAge = Math.min(t.rolling > 0 && t.rolling < MAX_COOKIE_LIFETIME ? t.rolling : MAX_COOKIE_LIFETIME, t.absolute > 0 ? Math.max(t.absolute - rollingOffset, 1) : MAX_COOKIE_LIFETIME);
    // Expires and Max-Age agree (fixes spec bug 10.7, where Expires counted from the creation time).
    const extra = `; Expires=${httpDate(now + maxAge)}; Max-Age=${maxAge}`;
    const storageKey = o.storage !== undefined ? storageKeyOf(o, sid) : undefined;
    const lines = o.storage !== undefined ? [[o.rememberName, `${o.rememberName}=${sealed.header}${o.cookieAttributes}${extra}`] as [string, string]] : this.#chunkLines(o.rememberName, sealed.header + sealed.payload, extra);
    const previous = this.#rememberCookie;
    // On rotation the old remember cookie dies at once too; otherwise it stays readable `staleTtl`.
    const old = rotate ? undefined : previous?.storageKey;
    return {
      lines,
      commit: async () => {
        if (storageKey !== undefined) {
          await this.#storage(
            () =>
              o.storage!.set({
                namespace: o.rememberName,
                key: storageKey,
                value: JSON.stringify([sealed.payload]),
                ttl: maxAge,
                now,
                oldKey: old,
                staleTtl: o.staleTtl,
                // Indexed too, so that revoking a subject also ends the remember cookies that could
                // otherwise restore its sessions.
                metadata: this.#metadata(),
              }),
            'save',
          );
        }
        if (previous !== undefined) {
          if (rotate && o.storage !== undefined && previous.storageKey !== undefined) {
            await this.#storage(() => o.storage!.delete(o.rememberName, previous.storageKey!, now, this.#metadata()), 'delete');
          }
          // The replaced remember cookie is refused at once on rotation, after `staleTtl` otherwise.
          const ttl = this.#lifetimeLeft(previous.creationTime, now - previous.creationTime, o.rememberTimeouts, now);
          await o.revocation?.revokeId(previous.sid, ttl, now, rotate ? now : now + o.staleTtl);
        }
        // The next save opens this remember cookie for its creation time: from the cache, without PBKDF2.
        cacheOpenedCookie(o, 'remember', sealed.header, sealed.payload, json, 0, macKey, binding);
        this.#rememberCookie = { sid, creationTime, storageKey };
        this.#rememberSent = true;
      },
    };
  }
}

function revokedError(): SessionError {
  return new SessionError('SESSION_REVOKED', 'the session was destroyed or revoked while this request was using it');
}

function assertName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('session attribute name expected a non-empty string');
  if (name.startsWith('@')) throw new TypeError(`session attribute "${name}": names starting with "@" are reserved`);
}

/** Sets an own data property even for names like `__proto__`, without invoking setters (checklist case 18). */
function defineData(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
}
