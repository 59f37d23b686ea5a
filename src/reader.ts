/**
 * Opening a session or remember cookie (spec 1.6, 4.2): authenticate the header, load the payload from
 * the cookie chunks or the store, decrypt, parse, and check the timeouts. Attacker-controlled input
 * never throws here: every failure is a typed {@link InvalidReason}. Only a store failure rejects.
 *
 * Unlike lua-resty-session, the MAC is checked before the timeouts (bug 9), so an `'expired'` reason is
 * only ever given for a cookie this deployment really issued.
 *
 * @module
 */
import { base64urlDecode, base64urlEncode } from './codec/base64url.ts';
import { BoundedCache } from './codec/cache.ts';
import { Flags, HEADER_TEXT_SIZE, Limits } from './codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, deriveRememberKey, type EncryptionKey, type KeyMaterial } from './codec/keys.ts';
import { parsePayload, payloadText, type SessionEntry } from './codec/payload.ts';
import { decryptPayload, parseHeader, verifyMac, type ParsedHeader } from './codec/seal.ts';
import { chunkCount, MAX_COOKIES, MAX_COOKIES_SIZE } from './cookie/serialize.ts';
import { MAX_SUCCESSOR_HOPS, openSuccessor } from './concurrency.ts';
import { isSessionError, SessionError, type InvalidReason } from './errors.ts';
import type { ResolvedOptions, Timeouts } from './options.ts';

/** A cookie that opened. */
export interface OpenedCookie {
  readonly header: ParsedHeader;
  /** The key that authenticated it (index 0 is the primary key). */
  readonly keyIndex: number;
  readonly material: KeyMaterial;
  readonly macKey: Uint8Array;
  /** The base64url ciphertext (from the cookie or the store record). */
  readonly payload: string;
  readonly entries: SessionEntry[];
  /** The storage key it was loaded from (server-side storage only). */
  readonly storageKey: string | undefined;
  /**
   * The request's cookie had been replaced by a concurrent save, and this is the newest record it led
   * to (`concurrency: 'reject' | 'merge'`): the client must be sent this cookie.
   */
  readonly followed?: boolean | undefined;
}

/** The result of opening a cookie. */
export type OpenResult =
  | { readonly ok: true; readonly cookie: OpenedCookie }
  | { readonly ok: false; readonly reason: InvalidReason; readonly detail: string; readonly cookie?: OpenedCookie };

/** The key under which a session id's record is stored. */
export function storageKeyOf(options: ResolvedOptions, sid: Uint8Array): string {
  return base64urlEncode(options.hashStorageKey ? options.crypto.sha256(sid) : sid);
}

/** Seconds a cookie's times may run ahead of this server's clock (another node's clock, rounding). */
export const MAX_CLOCK_SKEW = 60;

/** Reserved attribute holding per-session timeout overrides (`setIdlingTimeout` and friends). */
export const TIMEOUTS_KEY = '@timeouts';

/** The timeouts in force for a session: its own overrides, else the manager's. */
export function effectiveTimeouts(defaults: Timeouts, data: Record<string, unknown> | undefined): Timeouts {
  const own = data !== undefined && Object.hasOwn(data, TIMEOUTS_KEY) ? data[TIMEOUTS_KEY] : undefined;
  if (typeof own !== 'object' || own === null) return defaults;
  const o = own as Record<string, unknown>;
  return { idling: timeout(o.idling, defaults.idling), rolling: timeout(o.rolling, defaults.rolling), absolute: timeout(o.absolute, defaults.absolute) };
}

/** A stored timeout when it is a non-negative integer, else the default. */
function timeout(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/**
 * Which timeout a header has passed at `now`, as lua-resty-session words it, or `undefined`.
 * All comparisons are strict (`>`), as in the spec.
 */
export function expiry(header: ParsedHeader, now: number, t: Timeouts, remember: boolean): string | undefined {
  const lifetime = now - header.creationTime;
  const kind = remember ? 'session remember' : 'session';
  // A cookie from the future (clock skew beyond a minute, or forged times) is refused rather than trusted
  // with a negative age (security checklist case 28).
  if (header.creationTime + header.rollingOffset + header.idlingOffset > now + MAX_CLOCK_SKEW) return 'session creation time is in the future';
  if (lifetime > Limits.rollingOffset) return 'session lifetime exceeded';
  if (t.absolute > 0 && lifetime > t.absolute) return `${kind} absolute timeout exceeded`;
  const rolling = lifetime - header.rollingOffset;
  if (t.rolling > 0 && rolling > t.rolling) return `${kind} rolling timeout exceeded`;
  if (!remember && t.idling > 0 && rolling - header.idlingOffset > t.idling) return 'session idling timeout exceeded';
  return undefined;
}

const fail = (reason: InvalidReason, detail: string): OpenResult => ({ ok: false, reason, detail });

/** What the reader needs about the request. */
export interface OpenContext {
  readonly kind: 'session' | 'remember';
  /** The cookie's chunks after the first (`name2`, `name3`, ...), by index. */
  readonly chunk: (index: number) => string | undefined;
  /** The client binding suffix for the bind flags set in the header. */
  readonly binding: (flags: number) => Uint8Array | undefined;
  readonly now: number;
}

/**
 * Opens one cookie value.
 *
 * A cookie that opened is remembered in a bounded cache of this manager's (see {@link cacheOpenedCookie}),
 * keyed by its exact header text: when the same header comes back with the same client binding, the MAC
 * check is skipped, and when it also comes with the same payload, so are key derivation and decryption.
 * Everything else runs as for any cookie: the flags, the store read, JSON parsing into fresh objects and
 * the timeouts.
 * @param options - the manager's options
 * @param value - the first (or only) cookie value
 * @param ctx - chunks, binding and clock
 * @returns the opened cookie or a typed reason
 * @throws SessionError `'STORAGE_ERROR'` when the store fails
 */
export async function openCookie(options: ResolvedOptions, value: string, ctx: OpenContext, hops = 0): Promise<OpenResult> {
  const a = authenticateCookie(options, value, ctx);
  if ('ok' in a) return a;
  const { header, remember } = a;
  let payload: string;
  let storageKey: string | undefined;
  if (a.server) {
    if (value.length !== HEADER_TEXT_SIZE) return fail('malformed', 'invalid session payload');
    storageKey = storageKeyOf(options, header.sid);
    const strict = !remember && options.concurrency.policy !== 'last-write-wins';
    const record = await readRecord(options, remember ? options.rememberName : options.cookieName, storageKey, ctx.now, strict);
    if (record === null) return fail('not-found', 'unable to load session');
    if (record.payload === undefined) return fail('malformed', 'unable to json decode session');
    // Replaced by a concurrent save: the newest record is the session (its successor chain is bounded).
    const token = record.successors.at(-1);
    if (token !== undefined && hops < MAX_SUCCESSOR_HOPS) {
      const auth = a.auth;
      const macKey = 'macKey' in auth ? auth.macKey : textBytes(auth.macKeyText);
      const next = openSuccessor(options.crypto, macKey, storageKey, token);
      if (next !== null) {
        const opened = await openCookie(options, next, ctx, hops + 1);
        if (opened.ok) return { ok: true, cookie: { ...opened.cookie, followed: true } };
        // Its successor is gone (destroyed, or expired): the old record must not bring the session back.
        return opened.reason === 'not-found' ? fail('not-found', 'the session was replaced and its successor is gone') : opened;
      }
    }
    payload = record.payload;
    if (payload.length !== header.dataSize) return fail('malformed', 'invalid session payload');
  } else {
    const full = cookiePayload(options, value, a, ctx);
    if (typeof full !== 'string') return full;
    payload = full;
  }
  const hit = openKnown(options, ctx, a, payload, storageKey);
  if (hit !== undefined) return hit;
  const ciphertext = base64urlDecode(payload);
  if (ciphertext === null) return fail('malformed', 'unable to base64url decode session data');
  const material = options.keys[a.auth.keyIndex]!;
  const key = remember
    ? await deriveRememberKey(options.crypto, material, header.sid, options.rememberSafety)
    : deriveEncryptionKey(options.crypto, material, header.sid);
  return openDecrypted(options, ctx, a, payload, storageKey, ciphertext, key);
}

/**
 * {@link openCookie} without a Promise, for what needs no I/O: a session cookie (not a remember cookie,
 * whose key is PBKDF2, derived off the event loop) whose payload is in the cookie. The same checks, in the
 * same order, with the same cache.
 * @returns the result, or `undefined` when the cookie needs {@link openCookie} (a remember cookie, or a
 *   header with the storage flag under server-side or spill-over storage)
 */
export function openCookieSync(options: ResolvedOptions, value: string, ctx: OpenContext): OpenResult | undefined {
  if (ctx.kind === 'remember') return undefined;
  const a = authenticateCookie(options, value, ctx);
  if ('ok' in a) return a;
  if (a.server) return undefined;
  const payload = cookiePayload(options, value, a, ctx);
  if (typeof payload !== 'string') return payload;
  const hit = openKnown(options, ctx, a, payload, undefined);
  if (hit !== undefined) return hit;
  const ciphertext = base64urlDecode(payload);
  if (ciphertext === null) return fail('malformed', 'unable to base64url decode session data');
  const key = deriveEncryptionKey(options.crypto, options.keys[a.auth.keyIndex]!, a.header.sid);
  return openDecrypted(options, ctx, a, payload, undefined, ciphertext, key);
}

/** A cookie whose header parsed and authenticated (from the cache or by its MAC). */
interface Authenticated {
  readonly header: ParsedHeader;
  readonly remember: boolean;
  /** The payload is in the store (storage flag). */
  readonly server: boolean;
  readonly auth: { readonly keyIndex: number; readonly macKey: Uint8Array } | OpenedRecord;
  /** The cache's record for this exact header and binding, if any. */
  readonly known: OpenedRecord | undefined;
  readonly headerText: string;
  readonly binding: Uint8Array | undefined;
  readonly cache: BoundedCache<OpenedRecord>;
}

/** The first steps of {@link openCookie}: size, header, flags, times, and the MAC (or the cache). */
function authenticateCookie(options: ResolvedOptions, value: string, ctx: OpenContext): Authenticated | OpenResult {
  if (value.length > MAX_COOKIES_SIZE) return fail('oversized', 'cookie size limit exceeded');
  const header = parseHeader(value);
  if (header === null) return fail('malformed', headerProblem(value));
  // Where the payload is: in the store when the storage flag is set. Spill-over storage takes either.
  const server = (header.flags & Flags.storage) !== 0;
  if (server !== (options.storage !== undefined) && !options.spill) return fail('flags', 'invalid session flags');
  if (header.creationTime > Limits.creationTime) return fail('malformed', 'invalid session creation time');
  const remember = ctx.kind === 'remember';
  if (remember && header.idlingOffset !== 0) return fail('malformed', 'invalid session idling offset');

  const binding = ctx.binding(header.flags);
  const cache = openedCache(options, ctx.kind);
  // A slice, not a copy: the key is the exact 110 characters, whatever follows them.
  const headerText = value.length === HEADER_TEXT_SIZE ? value : value.slice(0, HEADER_TEXT_SIZE);
  const hit = cache.get(headerText);
  // A hit stands for "this exact header, with this exact binding, passed the MAC under key `keyIndex`".
  const known = hit !== undefined && sameBinding(hit.binding, binding) ? hit : undefined;
  const auth = known ?? authenticate(options, header, binding);
  if (auth === undefined) return fail('unauthenticated', 'invalid session message authentication code');
  return { header, remember, server, auth, known, headerText, binding, cache };
}

/** The payload text of a cookie-stored session: its chunks assembled, the header's data size checked. */
function cookiePayload(options: ResolvedOptions, value: string, a: Authenticated, ctx: OpenContext): string | OpenResult {
  const full = assembleChunks(value, a.header.dataSize, (a.remember ? options.rememberName : options.cookieName).length, ctx);
  if (typeof full !== 'string') return full;
  const payload = full.slice(HEADER_TEXT_SIZE);
  if (payload.length !== a.header.dataSize) return fail('malformed', 'invalid session payload');
  return payload;
}

/** The same header and the same ciphertext opened before: the plaintext is the one it decrypted to. */
function openKnown(options: ResolvedOptions, ctx: OpenContext, a: Authenticated, payload: string, storageKey: string | undefined): OpenResult | undefined {
  const known = a.known;
  if (known === undefined || known.payload !== payload) return undefined;
  // Parsed on every open, from the cache or not: each session gets objects of its own.
  const entries = parsePayload(known.plaintext);
  if (entries === null) return fail('malformed', 'unable to json decode session data');
  return finishOpen(options, ctx, a.header, a.auth, payload, entries, storageKey);
}

/** Decrypts, inflates and parses a payload not in the cache, then remembers the cookie. */
function openDecrypted(
  options: ResolvedOptions,
  ctx: OpenContext,
  a: Authenticated,
  payload: string,
  storageKey: string | undefined,
  ciphertext: Uint8Array,
  key: EncryptionKey,
): OpenResult {
  const { header, auth } = a;
  const plaintext = decryptPayload(options.crypto, header, ciphertext, key);
  if (plaintext === null) return fail('tampered', 'unable to decrypt session data');
  const text = payloadText(plaintext, (header.flags & Flags.deflate) !== 0, Limits.dataSize);
  const entries = text === null ? null : parsePayload(text);
  if (text === null || entries === null) return fail('malformed', 'unable to json decode session data');
  // Only a cookie that opened is remembered; under a copy of the header text, as a slice of it would keep
  // the whole Cookie header alive.
  const macKey = 'macKey' in auth ? bytesText(auth.macKey) : auth.macKeyText;
  storeOpened(a.cache, copyText(a.headerText), { keyIndex: auth.keyIndex, macKeyText: macKey, binding: bindingText(a.binding), payload: copyText(payload), plaintext: text });
  return finishOpen(options, ctx, header, auth, payload, entries, storageKey);
}

/**
 * The record a successor token leads to: its header authenticated as a cookie's would be, and its
 * storage key. For following a destroyed session's successors; `null` when the token does not open or
 * the header does not authenticate.
 * @param options - the manager's options
 * @param macKey - the MAC key of the record the token was found on
 * @param oldKey - that record's storage key
 * @param token - the successor token
 * @param binding - the client binding suffix for a header's bind flags
 */
export function successorRecord(
  options: ResolvedOptions,
  macKey: Uint8Array,
  oldKey: string,
  token: string,
  binding: (flags: number) => Uint8Array | undefined,
): { readonly macKey: Uint8Array; readonly storageKey: string } | null {
  const text = openSuccessor(options.crypto, macKey, oldKey, token);
  const header = text === null ? null : parseHeader(text);
  if (header === null || (header.flags & Flags.storage) === 0) return null;
  const auth = authenticate(options, header, binding(header.flags));
  return auth === undefined ? null : { macKey: auth.macKey, storageKey: storageKeyOf(options, header.sid) };
}

/** Checks the header MAC under each key in turn; the first that authenticates it wins. */
function authenticate(
  options: ResolvedOptions,
  header: ParsedHeader,
  binding: Uint8Array | undefined,
): { readonly keyIndex: number; readonly macKey: Uint8Array } | undefined {
  for (let i = 0; i < options.keys.length; i++) {
    const macKey = deriveMacKey(options.crypto, options.keys[i]!, header.sid);
    if (verifyMac(options.crypto, header, macKey, binding)) return { keyIndex: i, macKey };
  }
  return undefined;
}

/** Builds the opened cookie and checks the timeouts: the last step of {@link openCookie}. */
function finishOpen(
  options: ResolvedOptions,
  ctx: OpenContext,
  header: ParsedHeader,
  auth: { readonly keyIndex: number; readonly macKey: Uint8Array } | OpenedRecord,
  payload: string,
  entries: SessionEntry[],
  storageKey: string | undefined,
): OpenResult {
  const macKey = 'macKey' in auth ? auth.macKey : textBytes(auth.macKeyText);
  const opened: OpenedCookie = { header, keyIndex: auth.keyIndex, material: options.keys[auth.keyIndex]!, macKey, payload, entries, storageKey };
  const remember = ctx.kind === 'remember';
  const timeouts = remember ? options.rememberTimeouts : effectiveTimeouts(options.timeouts, ownData(entries, options.audience));
  const expired = expiry(header, ctx.now, timeouts, remember);
  if (expired !== undefined) return { ok: false, reason: 'expired', detail: expired, cookie: opened };
  return { ok: true, cookie: opened };
}

/** The data of `audience`'s entry, if any. */
function ownData(entries: readonly SessionEntry[], audience: string): Record<string, unknown> | undefined {
  for (let i = 0; i < entries.length; i++) if (entries[i]!.audience === audience) return entries[i]!.data;
  return undefined;
}

// ------------------------------------------------------------------ the opened-cookie cache

/**
 * What the cache keeps of a cookie that opened, under its exact 110-character header text: strings and
 * numbers only (immutable, and frozen), so a hit hands out nothing another request could change.
 */
interface OpenedRecord {
  /** The key that authenticated the header. */
  readonly keyIndex: number;
  /** Its MAC key, one character per byte. */
  readonly macKeyText: string;
  /** The client binding suffix the MAC covered, one character per byte, or `undefined`. */
  readonly binding: string | undefined;
  /** The base64url ciphertext that decrypted, from the cookie or the store. */
  readonly payload: string;
  /** What it decrypted (and inflated) to: the JSON text of the entries. */
  readonly plaintext: string;
}

/** At most this many cookies of each kind (session, remember) are remembered per manager. */
export const OPENED_COOKIES_MAX_ENTRIES = 1024;
/** And at most this many characters of header, payload and plaintext in all (about 1 to 2 MiB). */
export const OPENED_COOKIES_MAX_CHARS = 1 << 20;

/** Per manager (its options object), one cache per cookie kind. */
const openedCaches = new WeakMap<ResolvedOptions, { session: BoundedCache<OpenedRecord>; remember: BoundedCache<OpenedRecord> }>();

const weighOpened = (key: string, v: OpenedRecord): number => key.length + v.payload.length + v.plaintext.length;

function openedCache(options: ResolvedOptions, kind: 'session' | 'remember'): BoundedCache<OpenedRecord> {
  let caches = openedCaches.get(options);
  if (caches === undefined) {
    const make = (): BoundedCache<OpenedRecord> =>
      new BoundedCache<OpenedRecord>({ maxEntries: OPENED_COOKIES_MAX_ENTRIES, maxWeight: OPENED_COOKIES_MAX_CHARS, weigh: weighOpened });
    caches = { session: make(), remember: make() };
    openedCaches.set(options, caches);
  }
  return kind === 'remember' ? caches.remember : caches.session;
}

function storeOpened(cache: BoundedCache<OpenedRecord>, headerText: string, record: OpenedRecord): void {
  cache.set(headerText, Object.freeze(record));
}

/** What {@link cacheOpenedCookie} needs of a cookie this process sealed. */
export interface SealedForCache {
  /** The 110-character header text sent in the cookie. */
  readonly header: string;
  /** The base64url ciphertext (in the cookie, or in the store record). */
  readonly payload: string;
  /** The MAC key of its session id. */
  readonly macKey: Uint8Array;
  /** The client binding suffix its MAC covers, if any. */
  readonly binding: Uint8Array | undefined;
}

/**
 * Records a cookie this process has just sealed (always under the primary key), so that the request
 * presenting it next opens it without checking the MAC or decrypting: the session calls it after a save.
 * The flags, the binding, the timeouts and (with server-side storage) the store record are still checked
 * on that open.
 * @param options - the manager's options
 * @param kind - `'session'` or `'remember'`
 * @param sealed - the header and payload texts, MAC key and binding
 * @param plaintext - the JSON text that was sealed (before any deflate)
 */
export function cacheOpenedCookie(options: ResolvedOptions, kind: 'session' | 'remember', sealed: SealedForCache, plaintext: string): void {
  if (sealed.header.length !== HEADER_TEXT_SIZE) return;
  const record = { keyIndex: 0, macKeyText: bytesText(sealed.macKey), binding: bindingText(sealed.binding), payload: sealed.payload, plaintext };
  storeOpened(openedCache(options, kind), sealed.header, record);
}

/**
 * Drops a cookie from the cache: the session calls it for the cookie a save has just replaced, which its
 * client will not send again (a concurrent request that still does simply opens it in full). Keeps the
 * cache down to the cookies in use, so it rarely has to evict.
 * @param options - the manager's options
 * @param kind - `'session'` or `'remember'`
 * @param header - the replaced cookie's 82 header bytes
 */
export function forgetOpenedCookie(options: ResolvedOptions, kind: 'session' | 'remember', header: Uint8Array): void {
  openedCaches.get(options)?.[kind].delete(base64urlEncode(header));
}

/**
 * How many opened cookies a manager's cache holds, both kinds together (for tests and diagnostics).
 * @param options - the manager's options
 * @returns the number of cached cookies
 */
export function cachedCookieCount(options: ResolvedOptions): number {
  const caches = openedCaches.get(options);
  return caches === undefined ? 0 : caches.session.size + caches.remember.size;
}

/**
 * Empties a manager's opened-cookie cache: the next open of every cookie runs the full checks.
 * @param options - the manager's options
 */
export function clearCookieCache(options: ResolvedOptions): void {
  const caches = openedCaches.get(options);
  caches?.session.clear();
  caches?.remember.clear();
}

/** Bytes as one character per byte (exact: equal text if and only if equal bytes). */
function bytesText(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

function bindingText(binding: Uint8Array | undefined): string | undefined {
  return binding === undefined ? undefined : bytesText(binding);
}

/** Whether a cached binding (one character per byte) is this request's, in time that depends only on the lengths. */
function sameBinding(cached: string | undefined, binding: Uint8Array | undefined): boolean {
  if (cached === undefined || binding === undefined) return cached === undefined && binding === undefined;
  if (cached.length !== binding.length) return false;
  let diff = 0;
  for (let i = 0; i < binding.length; i++) diff |= cached.charCodeAt(i) ^ binding[i]!;
  return diff === 0;
}

/** A fresh array from {@link bytesText}'s characters. */
function textBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * A string with the same characters that holds no reference to a larger one: `slice` shares its parent's
 * characters, so a cached slice of a Cookie header would keep the whole header alive. Concatenation then a
 * character read makes V8 build one flat string of exactly these characters.
 */
function copyText(text: string): string {
  if (text.length === 0) return text;
  const copy = ` ${text}`;
  copy.charCodeAt(0);
  return copy.slice(1);
}

/** lua-resty-session's wording for a header that does not parse (only computed on that failure path). */
function headerProblem(value: string): string {
  if (value.length < HEADER_TEXT_SIZE) return 'invalid session header';
  const bytes = base64urlDecode(value.slice(0, HEADER_TEXT_SIZE));
  return bytes === null ? 'unable to base64url decode session header' : 'invalid session cookie type';
}

function assembleChunks(first: string, dataSize: number, nameLength: number, ctx: OpenContext): string | OpenResult {
  const total = HEADER_TEXT_SIZE + dataSize;
  // The fewest chunks any writer uses (lua-resty-session's layout, 4096 bytes of name=value each);
  // this library's chunks are shorter (each Set-Cookie line, attributes included, within 4096 bytes),
  // so the chunks are read in order until the header's data size is reached (spec 1.4).
  const fewest = chunkCount(nameLength, total);
  if (fewest === 0) return fail('malformed', 'cookie size limit exceeded');
  let out = first;
  for (let i = 2; i <= MAX_COOKIES && out.length < total; i++) {
    const chunk = ctx.chunk(i);
    // A value short of its data size with no second cookie, where one cookie would have held it all, is
    // a truncated cookie, not a chunked cookie missing its tail.
    if (chunk === undefined) return i === 2 && fewest === 1 ? fail('malformed', 'invalid session payload') : fail('missing-chunk', 'missing session cookie chunk');
    out += chunk;
  }
  if (out.length > MAX_COOKIES_SIZE) return fail('oversized', 'cookie size limit exceeded');
  return out;
}

/**
 * Reads a store record and returns its ciphertext: `null` when missing, `undefined` when unreadable.
 */
async function readRecord(
  options: ResolvedOptions,
  namespace: string,
  key: string,
  now: number,
  withSuccessors: boolean,
): Promise<{ readonly payload: string | undefined; readonly successors: readonly string[] } | null> {
  const storage = options.storage!;
  let record: string | null;
  let successors: readonly string[] = NONE;
  try {
    if (withSuccessors && storage.getRecord !== undefined) {
      const r = await storage.getRecord(namespace, key, now);
      record = r === null || r === undefined ? null : r.value;
      if (r !== null && r !== undefined && Array.isArray(r.successors)) successors = r.successors;
    } else {
      record = await storage.get(namespace, key, now);
    }
  } catch (cause) {
    if (isSessionError(cause, 'STORAGE_ERROR')) throw cause;
    throw new SessionError('STORAGE_ERROR', `${storage.name} storage failed to read a session`, { cause, storage: storage.name });
  }
  if (record === null || record === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(record);
    if (Array.isArray(parsed) && typeof parsed[0] === 'string') return { payload: parsed[0], successors };
  } catch {
    /* fall through */
  }
  return { payload: undefined, successors };
}

const NONE: readonly string[] = Object.freeze([]);
