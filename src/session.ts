/**
 * The Session: attributes, identity and times, timeouts, and the lifecycle (save, touch, refresh,
 * regenerate, logout, destroy, close) with lua-resty-session 4's semantics (spec 3, 4).
 *
 * A session is created by `SessionManager.open()` / `start()` for one request. Its attributes belong to
 * the manager's audience; other audiences sharing the cookie are carried along untouched.
 *
 * The Session holds the state and orders the steps; what is a function of its inputs lives in
 * `./session/`: sealing, Set-Cookie lines, lifetimes, store records and revocation marks, header values.
 *
 * @module
 */
import { base64urlEncode } from './codec/base64url.ts';
import { Flags } from './codec/header.ts';
import type { SessionEntry } from './codec/payload.ts';
import { retouch } from './codec/seal.ts';
import { withoutCookies } from './cookie/parse.ts';
import { SessionError } from './errors.ts';
import { eventsOf, type SessionEmitter, type SessionEventMap } from './events.ts';
import { clientBinding, type HttpExchange } from './http/types.ts';
import { assertJsonValue, type JsonValue } from './json.ts';
import { metadataOf } from './metadata.ts';
import { stampVersion } from './schema.ts';
import { HEADER_NAMES, type HeaderProperty, type ResolvedOptions, type Timeouts } from './options.ts';
import { cacheOpenedCookie, effectiveTimeouts, forgetOpenedCookie, storageKeyOf, TIMEOUTS_KEY } from './reader.ts';
import { ChangeTracker } from './session/changes.ts';
import { assertName, defineData, REMEMBER_KEY } from './session/data.ts';
import { assertWithinBudget } from './session/budget.ts';
import { FlashValues } from './session/flash.ts';
import { headerValue } from './session/headers.ts';
import { closestTimeout, lifetimeLeft, refreshDue, storeTtl, timeRemaining } from './session/lifetime.ts';
import { cookieLines, expiredLines, firstChunkLine, isSessionCookie, type CookieLine } from './session/lines.ts';
import { conflictError, MAX_MERGE_ATTEMPTS, mergeEntries, sealSuccessor } from './concurrency.ts';
import { encodePayload, parsePayload } from './codec/payload.ts';
import {
  deleteRecord,
  deleteSessionRecords,
  openSuccessorOf,
  revokedError,
  revokeReplaced,
  subjectsOf,
  writeRememberRecord,
  writeSessionRecord,
} from './session/records.ts';
import { saveIsSync, sealSave, syncUnsupported, type SealedSave } from './session/save.ts';
import { sealRememberCookie, type SealedRemember } from './session/sealing.ts';
import { leaveStore, placementOf } from './spillover.ts';
import { currentCookieOf, type CurrentCookie, type RememberCookie, type SessionInit, type SessionState, type TimeRemaining } from './session/types.ts';
import type { StorageMetadata } from './storage/types.ts';

export type { SessionInit, SessionState, TimeRemaining } from './session/types.ts';

/** What a synchronous save returns: one settled Promise for all. */
const RESOLVED: Promise<void> = Promise.resolve();

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
  #current: CurrentCookie | undefined;
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
  /** What changed since the session was opened or last saved. */
  readonly #changes = new ChangeTracker();
  /** The manager's event emitter. */
  readonly #events: SessionEmitter | undefined;
  /** Flash values, once `flash` or `takeFlash` is called. */
  #flash: FlashValues | undefined;
  /** `concurrency: 'merge'`: the entries as last read or saved (JSON), the base of a three-way merge. */
  #base: string | undefined;
  /** The record this request replaces is a concurrent request's, merged into: it keeps its life. */
  #merged = false;

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
      this.#current = currentCookieOf(opened);
      if ((opened.header.flags & Flags.forget) !== 0) this.#remember = false;
      // The client's cookie was replaced by a concurrent save: it gets the newest one.
      if (opened.followed === true) this.#resend();
      if (options.concurrency.policy === 'merge') this.#base = encodePayload(init.entries, 0).json;
    }
    // A per-session choice (setRemember) travels inside the session, so it holds on later requests.
    const chosen = Object.hasOwn(entry.data, REMEMBER_KEY) ? entry.data[REMEMBER_KEY] : undefined;
    if (typeof chosen === 'boolean') this.#remember = chosen;
    // A session opened under another `schemaVersion` (migrated) is saved under this one by its next commit.
    if (stampVersion(options.model, entry.data) && init.exists) this.#changes.mark();
    this.#events = eventsOf(options);
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
    const value = Object.hasOwn(data, name) && !name.startsWith('@') ? data[name] : undefined;
    this.#changes.handOut(data, value);
    return value as Data[K] | undefined;
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
    const events = this.#attributeEvents();
    const old = events === undefined ? undefined : this.#own(name);
    defineData(this.#entry.data, name, value);
    this.#changes.mark();
    events?.changed(this, name, old, value);
    return this;
  }

  /**
   * Removes an attribute (a no-op when absent).
   * @param name - the attribute name
   */
  remove(name: keyof Data & string): this {
    this.#assertUsable();
    assertName(name);
    if (!Object.hasOwn(this.#entry.data, name)) return this;
    const events = this.#attributeEvents();
    const old = events === undefined ? undefined : this.#own(name);
    delete this.#entry.data[name];
    this.#changes.mark();
    events?.changed(this, name, old, undefined);
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
    const data = this.#entry.data;
    for (const name of this.names()) {
      const value = data[name];
      this.#changes.handOut(data, value);
      yield [name, value as Data[keyof Data & string]];
    }
  }

  /** Removes every attribute (timeout overrides are kept). */
  clear(): this {
    this.#assertUsable();
    const before = this.#attributeEvents() && this.#attributes();
    const names = this.names();
    for (const name of names) delete this.#entry.data[name];
    if (names.length > 0) this.#changes.mark();
    if (before) this.#events!.replaced(this, before, {});
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
    const before = this.#attributeEvents() && this.#attributes();
    for (const name of this.names()) delete this.#entry.data[name];
    for (const [name, value] of Object.entries(data)) if (value !== undefined) defineData(this.#entry.data, name, structuredClone(value));
    this.#changes.mark();
    if (before) this.#events!.replaced(this, before, this.#attributes());
    return this;
  }

  // ---------------------------------------------------------------- flash

  /**
   * Flashes a value for the next request: readable there (or on a later request, until read) with
   * {@link takeFlash}, not in this request. Survives redirects. Kept under the reserved attribute `@flash`.
   * @param key - e.g. `'notice'`; a second flash under the same key replaces the first
   * @param value - a value that survives JSON
   * @throws TypeError when the key is empty or the value would not survive JSON
   * @throws SessionError `'SESSION_CLOSED'` after destroy, logout or close
   * @example
   * session.flash('notice', 'Saved.');
   * await session.commit();
   * res.writeHead(303, { location: '/' }).end();
   */
  flash(key: string, value: JsonValue): this {
    this.#assertUsable();
    (this.#flash ??= new FlashValues(this.#entry.data)).set(this.#entry.data, key, value);
    this.#changes.mark();
    return this;
  }

  /**
   * Reads a value flashed by an earlier request, and removes it: a second call returns `undefined`.
   * Reading a value modifies the session, so that its next save (or `commit()`) drops it.
   * @param key - the flash key; without it, every flashed value is taken
   * @returns the value (or `undefined`), or, without a key, the values by key
   * @throws SessionError `'SESSION_CLOSED'` after destroy, logout or close
   * @example const notice = session.takeFlash('notice');
   */
  takeFlash(key: string): JsonValue | undefined;
  takeFlash(): Record<string, JsonValue>;
  takeFlash(key?: string): JsonValue | undefined | Record<string, JsonValue> {
    this.#assertUsable();
    const flash = (this.#flash ??= new FlashValues(this.#entry.data));
    const taken = key === undefined ? flash.takeAll(this.#entry.data) : flash.take(this.#entry.data, key);
    if (taken.changed) this.#changes.mark();
    return 'values' in taken ? taken.values : taken.value;
  }

  // ---------------------------------------------------------------- identity and times

  /** The session id (43 base64url characters). A new id is minted on every save. */
  get id(): string {
    this.#assertUsable();
    return base64urlEncode(this.#current?.sid ?? (this.#pendingSid ??= this.#o.randomBytes(32)));
  }

  /** True until the client has sent the session cookie back (a session created by this request). */
  get isNew(): boolean {
    this.#assertUsable();
    return !this.#exists;
  }

  /** `'new'`, `'open'` or `'closed'`. */
  get state(): SessionState {
    return this.#state;
  }

  /** When the session was created, Unix seconds. */
  get creationTime(): number {
    this.#assertUsable();
    return this.#current?.creationTime ?? Math.floor(this.#openedAt);
  }

  /**
   * When the client last used the session, Unix seconds: the request arrival recorded by the last save
   * or touch (to within `touchThreshold`), not the time of attribute reads or writes.
   */
  get lastAccessedTime(): number {
    this.#assertUsable();
    const c = this.#current;
    return c === undefined ? this.creationTime : c.creationTime + c.rollingOffset + c.idlingOffset;
  }

  /** This application's audience. */
  get audience(): string {
    this.#assertUsable();
    return this.#entry.audience;
  }

  /**
   * Renames this session's audience; an entry that already had `audience` is dropped.
   * @param audience - a non-empty string
   */
  setAudience(audience: string): this {
    this.#assertUsable();
    if (typeof audience !== 'string' || audience === '') throw new TypeError('audience expected a non-empty string');
    const entries = this.#entries.filter((e) => e === this.#entry || e.audience !== audience);
    if (audience !== this.#entry.audience || entries.length !== this.#entries.length) this.#changes.mark();
    this.#entries = entries;
    this.#entry.audience = audience;
    return this;
  }

  /** The subject (typically the user id), or `undefined`. */
  get subject(): string | undefined {
    this.#assertUsable();
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
    if (subject === this.#entry.subject) return this;
    if (this.#current !== undefined) this.#rotate = true;
    this.#entry.subject = subject;
    this.#changes.mark();
    return this;
  }

  /** Whether a persistent remember-me cookie is issued on save. */
  get remember(): boolean {
    this.#assertUsable();
    return this.#remember ?? this.#o.remember;
  }

  /**
   * Switches the remember-me cookie on or off for this session, whatever the manager's `remember` option;
   * the choice is kept in the session (and off also in the cookie's forget flag, as lua-resty-session
   * does; unlike lua-resty-session, remember-me can be switched on again).
   * @throws TypeError when switched on with a header `transport` (remember-me needs cookies)
   */
  setRemember(remember: boolean): this {
    this.#assertUsable();
    if (typeof remember !== 'boolean') throw new TypeError('remember expected a boolean');
    if (remember && this.#o.transport !== undefined) throw new TypeError('remember-me needs cookies: not available with a header transport');
    this.#remember = remember;
    defineData(this.#entry.data, REMEMBER_KEY, remember);
    this.#changes.mark();
    return this;
  }

  // ---------------------------------------------------------------- timeouts

  /** Timeouts in force for this session (its own, else the manager's), seconds, 0 = never. */
  get timeouts(): Readonly<Timeouts> {
    this.#assertUsable();
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
    this.#changes.mark();
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
    const rolling = created + (this.#current?.rollingOffset ?? 0);
    return timeRemaining(t, { lastAccessed: this.lastAccessedTime, rolling, created }, now);
  }

  /**
   * Seconds until the session times out (the closest of its enabled timeouts), or `undefined` when no
   * timeout is enabled. Sent as `Session-Timeout` by `setHeaders('timeout')`.
   */
  get timeToLive(): number | undefined {
    return closestTimeout(this.timeRemaining());
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Saves the session: a new session id, the data sealed into the cookie (or the store), the cookie
   * written, and the remember cookie re-issued when remember-me is on.
   * @throws SessionError `'STORAGE_ERROR'` when the store fails (nothing is written; the previous
   *   session stays valid), `'HEADERS_SENT'`, `'SESSION_CLOSED'`; {@link SessionTooLargeError}
   *   (`'SESSION_TOO_LARGE'`, nothing is written) when the cookies would exceed `cookie.maxSize`
   */
  save(): Promise<void> {
    try {
      this.#assertUsable();
      // Cookie storage: a save is sealing and writing the lines, without an async function's Promise layers.
      if (this.canSaveSync) {
        this.saveSync();
        return RESOLVED;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#saveAsync();
  }

  async #saveAsync(): Promise<void> {
    const before = this.#current?.sid;
    const rotate = this.#rotate;
    await this.#save(false);
    this.#state = 'open';
    this.#events?.saved(this, before, rotate);
  }

  /**
   * True when anything the next save would persist changed since the session was opened or last saved:
   * attributes (`set`, `remove`, `clear`, `setData`, or an object read with `get` and changed in place),
   * subject, audience, timeouts, the remember choice, flash values (`flash`, and `takeFlash` of a value),
   * a `schemaVersion` migration. A `set` to an equal value counts as a change.
   * False right after a successful save; `touch()` does not change it.
   */
  get isModified(): boolean {
    return this.#changes.isModified(this.#entry.data);
  }

  /**
   * True when a save needs no I/O, so that {@link saveSync} can do it: cookie storage (no `storage`
   * option), no remember cookie to issue (its PBKDF2 key is derived off the event loop), and no
   * `revocation` store this save would write to (a session the client holds no cookie of yet writes none).
   */
  get canSaveSync(): boolean {
    // Readable on a closed session (unlike `remember`): adapters ask it before an unconditional commit.
    return saveIsSync(this.#o, this.#remember ?? this.#o.remember, this.#current !== undefined);
  }

  /**
   * The same as {@link save}, synchronously: for cookie storage, where sealing and writing the cookie is
   * all a save does. For a last-chance hook that cannot await (e.g. just before headers go out).
   * @throws SessionError `'SYNC_UNSUPPORTED'` when {@link canSaveSync} is false (nothing is written), and
   *   the errors of {@link save}: `'HEADERS_SENT'`, `'SESSION_TOO_LARGE'`, `'SESSION_CLOSED'`
   * @example
   * session.set('theme', 'dark');
   * session.saveSync();
   */
  saveSync(): void {
    this.#assertUsable();
    const o = this.#o;
    if (!this.canSaveSync) throw syncUnsupported(o, this.remember);
    this.#x.assertWritable();
    const before = this.#current?.sid;
    const rotate = this.#rotate;
    const sealed = this.#sealNow(Math.floor(o.now()));
    assertWithinBudget(o, sealed.lines, undefined);
    this.#sent(sealed, undefined, undefined);
    this.#state = 'open';
    this.#events?.saved(this, before, rotate);
  }

  /**
   * What an adapter calls when the response is about to go out: saves when {@link isModified}, else
   * {@link refresh}es (a touch or a save when the thresholds say so). A closed session (destroyed,
   * logged out, closed) commits nothing.
   * @returns `'saved'`, `'touched'` or `'none'`
   * @throws SessionError as {@link save}
   * @example
   * const session = await sessions.start(req, res);
   * // ... the handler ...
   * await session.commit();
   * res.end();
   */
  async commit(): Promise<'saved' | 'touched' | 'none'> {
    if (this.#state === 'closed') return 'none';
    if (!this.isModified) return this.refresh();
    await this.save();
    return 'saved';
  }

  /**
   * The same as {@link commit}, synchronously.
   * @returns `'saved'`, `'touched'` or `'none'`
   * @throws SessionError `'SYNC_UNSUPPORTED'` only when it has to save and {@link canSaveSync} is false
   *   (nothing is written then), and the errors of {@link saveSync}
   */
  commitSync(): 'saved' | 'touched' | 'none' {
    if (this.#state === 'closed') return 'none';
    const modified = this.isModified;
    const due = modified ? 'save' : this.#refreshDue();
    if (due === 'save') {
      this.saveSync();
      if (!modified) this.#events?.refreshed(this, 'saved');
      return 'saved';
    }
    if (due === 'touch') this.touch();
    return due === 'touch' ? 'touched' : 'none';
  }

  /**
   * Gives the session a new id now, keeping its data and creation time: call it on login or any privilege
   * change to prevent fixation. With server-side storage the old record is deleted at once (no
   * `staleTtl` window), so the old cookie stops working. With cookie storage a copy of the old cookie
   * stays valid until its timeouts pass: the server keeps nothing it could forget.
   */
  async regenerate(): Promise<void> {
    this.#assertUsable();
    const before = this.#current?.sid;
    await this.#save(true);
    this.#state = 'open';
    this.#events?.saved(this, before, true);
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
    this.#resend();
    this.#events?.refreshed(this, 'touched');
    return true;
  }

  /**
   * Keeps an active session alive: saves (new id) when more than 3/4 of the rolling timeout has passed,
   * else touches when more than `touchThreshold` seconds passed since the last touch, else does nothing.
   * @returns what it did
   */
  async refresh(): Promise<'saved' | 'touched' | 'none'> {
    this.#assertUsable();
    const due = this.#refreshDue();
    if (due === 'save') {
      await this.save();
      this.#events?.refreshed(this, 'saved');
      return 'saved';
    }
    if (due === 'touch') this.touch();
    return due === 'touch' ? 'touched' : 'none';
  }

  /**
   * @internal {@link refresh} without a Promise, for `start()`: does it when it needs no I/O (nothing due,
   * a touch, or a save {@link canSaveSync} allows), else does nothing and returns `undefined`.
   */
  refreshSync(): 'saved' | 'touched' | 'none' | undefined {
    this.#assertUsable();
    const due = this.#refreshDue();
    if (due === 'save') {
      if (!this.canSaveSync) return undefined;
      this.saveSync();
      this.#events?.refreshed(this, 'saved');
      return 'saved';
    }
    if (due === 'touch') this.touch();
    return due === 'touch' ? 'touched' : 'none';
  }

  /** What {@link refresh} would do now. */
  #refreshDue(): 'save' | 'touch' | 'none' {
    const c = this.#current;
    return c === undefined ? 'none' : refreshDue(this.timeouts, c, Math.floor(this.#o.now()), this.#o.touchThreshold);
  }

  /**
   * Ends this audience's share of the session: destroys the session when it was the only audience,
   * else removes this audience and saves the others. The session is closed afterwards.
   */
  async logout(): Promise<void> {
    this.#assertUsable();
    if (this.#entries.length <= 1) {
      await this.#destroy('logout');
      return;
    }
    const ending = this.#ending('logout');
    this.#entries = this.#entries.filter((e) => e !== this.#entry);
    await this.#save(true);
    this.#state = 'closed';
    this.#events?.ended(this, this.#entry.data, ending);
  }

  /**
   * Invalidates the session: expires its cookies (session, chunks, remember) and deletes its store
   * records. The session is closed afterwards.
   */
  destroy(): Promise<void> {
    return this.#destroy('destroy');
  }

  async #destroy(how: 'destroy' | 'logout'): Promise<void> {
    this.#assertUsable();
    this.#x.assertWritable();
    const ending = this.#ending(how);
    const o = this.#o;
    const now = Math.floor(this.#o.now());
    if (o.storage !== undefined || o.revocation !== undefined) await this.#resolveRememberCookie();
    if (o.revocation !== undefined) {
      const c = this.#current;
      if (c !== undefined) await o.revocation.revokeId(c.sid, lifetimeLeft(c.creationTime, c.rollingOffset, this.timeouts, now), now);
      const r = this.#rememberCookie;
      if (r !== undefined) await o.revocation.revokeId(r.sid, lifetimeLeft(r.creationTime, now - r.creationTime, o.rememberTimeouts, now), now);
    }
    if (o.storage !== undefined) {
      const metadata = (): StorageMetadata | undefined => this.#metadata();
      const c = this.#current;
      if (c?.storageKey !== undefined) await deleteSessionRecords(o, c.storageKey, c.macKey, now, metadata, (flags) => this.#binding(flags));
      const r = this.#rememberCookie;
      if (r?.storageKey !== undefined) await deleteRecord(o, o.rememberName, r.storageKey, now, metadata);
    }
    this.#send(expiredLines(o, o.cookieName, 1, Math.max(this.#chunks, 1)));
    if (this.#rememberSent || this.#rememberCookie !== undefined) this.#send(expiredLines(o, o.rememberName, 1, Math.max(this.#rememberChunks, 1)));
    this.#current = undefined;
    this.#state = 'closed';
    this.#events?.ended(this, this.#entry.data, ending);
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
    this.#assertUsable();
    const request = properties.length > 0 ? properties : this.#o.requestHeaders;
    const response = properties.length > 0 ? properties : this.#o.responseHeaders;
    for (const p of request) {
      const v = headerValue(p, this, this.#current !== undefined);
      if (v !== undefined) this.#x.setRequestHeader(HEADER_NAMES[p], v);
    }
    for (const p of response) {
      const v = headerValue(p, this, this.#current !== undefined);
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
    this.#assertUsable();
    const header = this.#x.cookieHeader();
    if (header === undefined) return undefined;
    const remaining = withoutCookies(header, (name) => isSessionCookie(this.#o, name));
    this.#x.setRequestHeader('cookie', remaining);
    return remaining;
  }

  // ---------------------------------------------------------------- saving

  /**
   * Seals the entries under a fresh session id and writes the cookie (and record). Only the store and
   * revocation calls (and the remember cookie's key derivation) are awaited: sealing and writing the
   * lines are {@link #sealNow} and {@link #sent}, which `saveSync()` runs alone.
   * @param regenerate - delete the previous record at once instead of keeping it `staleTtl` seconds
   */
  async #save(regenerate: boolean, hops = 0): Promise<void> {
    const o = this.#o;
    this.#x.assertWritable();
    if (this.remember || o.storage !== undefined || o.revocation !== undefined) await this.#resolveRememberCookie();
    const now = Math.floor(o.now());
    const prev = this.#current;
    const dropOld = regenerate || this.#rotate;
    // Resurrection: a request that loaded the session before another one destroyed it must not bring
    // it back by saving (security checklist case 34).
    if (prev !== undefined && o.revocation !== undefined && (await o.revocation.isRevoked(prev.sid, prev.creationTime, subjectsOf(this.#entries), now))) {
      throw revokedError();
    }
    const sealed = this.#sealNow(now);
    const { sid, creationTime, encoded, placed } = sealed;

    // Prepare the remember cookie before writing anything, so a failure leaves the response untouched.
    const previousRemember = this.#rememberCookie;
    const rememberCookie = this.remember ? await sealRememberCookie(placed, this.#x, encoded, previousRemember?.creationTime ?? now, now) : undefined;
    assertWithinBudget(o, sealed.lines, rememberCookie?.lines);

    const storageKey = placed.storage !== undefined ? await this.#storeSession(sealed.sealed, sid, prev, dropOld, now, creationTime) : undefined;
    if (storageKey === null) {
      // A concurrent request saved this session first (compare-and-set): reject, or merge and save again.
      if (o.concurrency.policy !== 'merge' || hops >= MAX_MERGE_ATTEMPTS) throw conflictError(o.concurrency.policy === 'merge' ? 'too many concurrent saves' : "concurrency is 'reject'");
      await this.#mergeSuccessor(prev!, now);
      return this.#save(regenerate, hops + 1);
    }
    // Spill-over: a session moving back into the cookie leaves its record (the remember record: below).
    if (placed !== o && prev?.storageKey !== undefined) await leaveStore(o, prev.storageKey, now, () => this.#metadata());
    if (rememberCookie !== undefined) await this.#commitRemember(rememberCookie, previousRemember, dropOld, now);
    else if (o.storage !== undefined && previousRemember?.storageKey !== undefined) {
      // Remember-me is off: the record of the remember cookie the client holds goes (its cookie expires below).
      await deleteRecord(o, o.rememberName, previousRemember.storageKey, now, () => this.#metadata());
    }
    if (prev !== undefined && !(dropOld && placed.storage !== undefined)) await revokeReplaced(o, prev, this.timeouts, dropOld, now);
    this.#sent(sealed, storageKey, rememberCookie);
  }

  /**
   * The synchronous first half of a save: filters the entries (`enforceSameSubject`) and seals them under
   * a fresh id, writing nothing.
   * @param now - Unix seconds (whole)
   */
  #sealNow(now: number): SealedSave {
    const o = this.#o;
    if (o.enforceSameSubject) {
      const subject = this.#entry.subject;
      this.#entries = this.#entries.filter((e) => e === this.#entry || e.subject === subject);
    }
    const prev = this.#current;
    // A session id is sealed at most once, even if this save fails later: no (key, IV) pair is reused.
    const sid = (prev === undefined ? this.#pendingSid : undefined) ?? o.randomBytes(32);
    this.#pendingSid = undefined;
    const forget = !this.remember && this.#remember === false;
    return sealSave(o, this.#x, { entries: this.#entries, prev, sid, forget, remember: this.remember, now, version: this.#changes.version });
  }

  /**
   * The synchronous last step of a save, once every store write succeeded: sends the session cookie's
   * lines (and the remember cookie's, or expires it), and makes the sealed cookie the current one.
   * @param s - the sealed save
   * @param storageKey - its record's key, with server-side storage
   * @param r - the remember cookie stored with it, when remember-me is on
   */
  #sent(s: SealedSave, storageKey: string | undefined, r: SealedRemember | undefined): void {
    const o = this.#o;
    const prev = this.#current;
    this.#rotate = false;
    this.#chunks = this.#replaceChunks(o.cookieName, s.lines, this.#chunks);
    if (r !== undefined) this.#rememberChunks = this.#replaceChunks(o.rememberName, r.lines, this.#rememberChunks);
    else if (this.#rememberSent || this.#rememberCookie !== undefined) this.#dropRemember();

    // The next request presents this cookie: it opens from the cache, without a MAC check or decryption.
    cacheOpenedCookie(o, 'session', s.sealed, s.encoded.json);
    if (prev !== undefined) forgetOpenedCookie(o, 'session', prev.header);
    const { sealed } = s;
    this.#current = { header: sealed.raw.header, sid: s.sid, creationTime: s.creationTime, rollingOffset: s.rollingOffset, idlingOffset: 0, flags: s.flags, macKey: sealed.macKey, payload: sealed.payload, storageKey };
    this.#changes.saved(s.version, this.#entry.data);
    if (o.concurrency.policy === 'merge') this.#base = s.encoded.json;
    this.#merged = false;
    if (o.responseHeaders.length > 0) this.setHeaders();
  }

  /**
   * Writes the session record (withdrawn if the loaded one was destroyed meanwhile); with `dropOld` the
   * replaced id is then revoked and its record deleted at once.
   * @returns the new record's key
   */
  async #storeSession(
    sealed: { readonly header: string; readonly payload: string },
    sid: Uint8Array,
    prev: CurrentCookie | undefined,
    dropOld: boolean,
    now: number,
    creationTime: number,
  ): Promise<string | null> {
    const o = this.#o;
    const key = storageKeyOf(o, sid);
    const ttl = storeTtl(this.timeouts, now, creationTime);
    const metadata = (): StorageMetadata | undefined => this.#metadata();
    const payload = sealed.payload;
    const loadedKey = prev?.storageKey;
    // A store with compare-and-set gets the successor token for the record replaced (and, under a strict
    // policy, claims it); the strict policies claim it even when it is dropped at once (regenerate).
    const cas = loadedKey !== undefined && loadedKey !== key && o.storage!.getRecord !== undefined;
    const exclusive = cas && o.concurrency.policy !== 'last-write-wins';
    const oldKey = dropOld && !exclusive ? undefined : loadedKey;
    // Under the strict policies a token is the sealed header (an open follows it); under last-write-wins,
    // where only a destroy follows tokens, it is the new record's key: no crypto on the save path.
    const successor = !cas || oldKey === undefined ? undefined : exclusive ? sealSuccessor(o.crypto, o.randomBytes, prev!.macKey, oldKey, sealed.header) : key;
    const outcome = await writeSessionRecord(o, { key, payload, ttl, now, oldKey, loadedKey, metadata, successor, exclusive: exclusive && successor !== undefined, keepOld: this.#merged });
    if (outcome === 'conflict') return null;
    if (dropOld && prev !== undefined) await revokeReplaced(o, prev, this.timeouts, true, now);
    if (dropOld && prev?.storageKey !== undefined) await deleteRecord(o, o.cookieName, prev.storageKey, now, metadata);
    return key;
  }

  /**
   * Stores the sealed remember cookie, ends the one it replaces, and makes it the client's (its lines are
   * sent by {@link #sent}).
   */
  async #commitRemember(r: SealedRemember, previous: RememberCookie | undefined, rotate: boolean, now: number): Promise<void> {
    const metadata = (): StorageMetadata | undefined => this.#metadata();
    await writeRememberRecord(this.#o, { key: r.storageKey, payload: r.payload, maxAge: r.maxAge, now, previous, rotate, metadata });
    // The next save opens this remember cookie for its creation time: from the cache, without PBKDF2.
    cacheOpenedCookie(this.#o, 'remember', r, r.json);
    this.#rememberCookie = { sid: r.sid, creationTime: r.creationTime, storageKey: r.storageKey };
    this.#rememberSent = true;
  }

  /** Remember-me is off: expires the remember cookie the client holds (its record, if any, is deleted by then). */
  #dropRemember(): void {
    const o = this.#o;
    this.#send(expiredLines(o, o.rememberName, 1, Math.max(this.#rememberChunks, 1)));
    this.#rememberChunks = 0;
    this.#rememberCookie = undefined;
    this.#rememberSent = false;
  }

  /**
   * Sends a cookie's lines and expires the chunks the client held beyond them.
   * @returns how many chunks the client holds now
   */
  #replaceChunks(name: string, lines: CookieLine[], held: number): number {
    this.#send(lines);
    this.#send(expiredLines(this.#o, name, lines.length + 1, held));
    return lines.length;
  }

  // ---------------------------------------------------------------- internals

  /** Writes Set-Cookie lines in order. */
  #send(lines: readonly CookieLine[]): void {
    for (const [name, line] of lines) this.#setCookie(name, line);
  }

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

  /** The emitter, when an attribute change has anyone to tell. */
  #attributeEvents(): SessionEmitter | undefined {
    return this.#events?.attributes === true ? this.#events : undefined;
  }

  /** An attribute's value, `undefined` when not set. */
  #own(name: string): unknown {
    return Object.hasOwn(this.#entry.data, name) ? this.#entry.data[name] : undefined;
  }

  /** A shallow copy of the application's attributes (without the reserved `@` ones). */
  #attributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of this.names()) defineData(out, name, this.#entry.data[name]);
    return out;
  }

  /** What `destroyed` will carry, read while the session is still open (only when it has listeners). */
  #ending(how: 'destroy' | 'logout'): Omit<SessionEventMap['destroyed'], 'session'> | undefined {
    return this.#events?.has('destroyed') === true ? { how, id: this.id, audience: this.audience, subject: this.subject } : undefined;
  }

  /**
   * Merges this request's changes into the session a concurrent request saved first (`concurrency:
   * 'merge'`), which becomes the one this request replaces.
   * @throws SessionError `'CONFLICT'` when an attribute both changed has no merge function, `'SESSION_REVOKED'`
   */
  async #mergeSuccessor(prev: CurrentCookie, now: number): Promise<void> {
    const o = this.#o;
    const theirs = await openSuccessorOf(o, prev, now, (flags) => this.#binding(flags));
    const base = (this.#base === undefined ? null : parsePayload(this.#base)) ?? [];
    const merged = mergeEntries(base, this.#entries, theirs.entries, o.audience, o.concurrency.merge);
    if ('conflict' in merged) throw conflictError(`both changed ${merged.conflict === '(subject)' || merged.conflict === '(audience ended)' ? merged.conflict : 'an attribute with no merge function'}`);
    this.#base = encodePayload(theirs.entries, 0).json;
    this.#entries = merged.entries;
    let entry = merged.entries.find((e) => e.audience === o.audience);
    if (entry === undefined) {
      entry = { data: {}, audience: o.audience, subject: this.#entry.subject };
      this.#entries.push(entry);
    }
    this.#entry = entry;
    this.#current = currentCookieOf(theirs);
    this.#merged = true;
  }

  /** Sends the first cookie of the session as held (a touch; a followed successor). */
  #resend(): void {
    const c = this.#current!;
    this.#setCookie(this.#o.cookieName, firstChunkLine(placementOf(this.#o, c.flags), base64urlEncode(c.header), c.payload));
  }

  #binding(flags: number): Uint8Array | undefined {
    return clientBinding(this.#o.crypto, this.#x, flags);
  }

  #metadata(): StorageMetadata | undefined {
    return metadataOf(this.#o, this.#entries);
  }

  /** Loads the request's remember cookie once, if the manager left it unopened. */
  async #resolveRememberCookie(): Promise<void> {
    const load = this.#loadRememberCookie;
    if (load === undefined) return;
    this.#loadRememberCookie = undefined;
    this.#rememberCookie ??= await load();
  }
}
