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
import { Flags, HEADER_TEXT_SIZE, Limits } from './codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, deriveRememberKey, type KeyMaterial } from './codec/keys.ts';
import { decodePayload, type SessionEntry } from './codec/payload.ts';
import { openPayload, parseHeader, verifyMac, type ParsedHeader } from './codec/seal.ts';
import { chunkCount, MAX_COOKIES_SIZE } from './cookie/serialize.ts';
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
  const pick = (name: keyof Timeouts): number => {
    const v = (own as Record<string, unknown>)[name];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : defaults[name];
  };
  return { idling: pick('idling'), rolling: pick('rolling'), absolute: pick('absolute') };
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
 * @param options - the manager's options
 * @param value - the first (or only) cookie value
 * @param ctx - chunks, binding and clock
 * @returns the opened cookie or a typed reason
 * @throws SessionError `'STORAGE_ERROR'` when the store fails
 */
export async function openCookie(options: ResolvedOptions, value: string, ctx: OpenContext): Promise<OpenResult> {
  if (value.length > MAX_COOKIES_SIZE) return fail('oversized', 'cookie size limit exceeded');
  const header = parseHeader(value);
  if (header === null) return fail('malformed', headerProblem(value));
  const server = options.storage !== undefined;
  if (((header.flags & Flags.storage) !== 0) !== server) return fail('flags', 'invalid session flags');
  if (header.creationTime > Limits.creationTime) return fail('malformed', 'invalid session creation time');
  const remember = ctx.kind === 'remember';
  if (remember && header.idlingOffset !== 0) return fail('malformed', 'invalid session idling offset');

  const binding = ctx.binding(header.flags);
  let keyIndex = -1;
  let macKey: Uint8Array | undefined;
  for (let i = 0; i < options.keys.length; i++) {
    const candidate = deriveMacKey(options.crypto, options.keys[i]!, header.sid);
    if (verifyMac(options.crypto, header, candidate, binding)) {
      keyIndex = i;
      macKey = candidate;
      break;
    }
  }
  if (macKey === undefined) return fail('unauthenticated', 'invalid session message authentication code');
  const material = options.keys[keyIndex]!;

  let payload: string;
  let storageKey: string | undefined;
  if (server) {
    if (value.length !== HEADER_TEXT_SIZE) return fail('malformed', 'invalid session payload');
    storageKey = storageKeyOf(options, header.sid);
    const record = await readRecord(options, ctx.kind === 'remember' ? options.rememberName : options.cookieName, storageKey, ctx.now);
    if (record === null) return fail('not-found', 'unable to load session');
    if (record === undefined) return fail('malformed', 'unable to json decode session');
    payload = record;
  } else {
    const full = assembleChunks(value, header.dataSize, (remember ? options.rememberName : options.cookieName).length, ctx);
    if (typeof full !== 'string') return full;
    payload = full.slice(HEADER_TEXT_SIZE);
  }
  if (payload.length !== header.dataSize) return fail('malformed', 'invalid session payload');
  if (base64urlDecode(payload) === null) return fail('malformed', 'unable to base64url decode session data');

  const key = remember
    ? await deriveRememberKey(options.crypto, material, header.sid, options.rememberSafety)
    : deriveEncryptionKey(options.crypto, material, header.sid);
  const plaintext = openPayload(options.crypto, header, payload, key);
  if (plaintext === null) return fail('tampered', 'unable to decrypt session data');
  const entries = decodePayload(plaintext, (header.flags & Flags.deflate) !== 0, Limits.dataSize);
  if (entries === null) return fail('malformed', 'unable to json decode session data');

  const opened: OpenedCookie = { header, keyIndex, material, macKey, payload, entries, storageKey };
  const own = entries.find((e) => e.audience === options.audience)?.data;
  const timeouts = remember ? options.rememberTimeouts : effectiveTimeouts(options.timeouts, own);
  const expired = expiry(header, ctx.now, timeouts, remember);
  if (expired !== undefined) return { ok: false, reason: 'expired', detail: expired, cookie: opened };
  return { ok: true, cookie: opened };
}

/** lua-resty-session's wording for a header that does not parse (only computed on that failure path). */
function headerProblem(value: string): string {
  if (value.length < HEADER_TEXT_SIZE) return 'invalid session header';
  const bytes = base64urlDecode(value.slice(0, HEADER_TEXT_SIZE));
  return bytes === null ? 'unable to base64url decode session header' : 'invalid session cookie type';
}

function assembleChunks(first: string, dataSize: number, nameLength: number, ctx: OpenContext): string | OpenResult {
  // The chunk count comes from the header's data size (spec 1.4), never from how short the first value
  // is: a truncated single cookie is an invalid payload, not a chunked cookie missing its tail.
  const count = chunkCount(nameLength, HEADER_TEXT_SIZE + dataSize);
  if (count === 0) return fail('malformed', 'cookie size limit exceeded');
  let out = first;
  for (let i = 2; i <= count; i++) {
    const chunk = ctx.chunk(i);
    if (chunk === undefined) return fail('missing-chunk', 'missing session cookie chunk');
    out += chunk;
    if (out.length > MAX_COOKIES_SIZE) return fail('oversized', 'cookie size limit exceeded');
  }
  return out;
}

/**
 * Reads a store record and returns its ciphertext: `null` when missing, `undefined` when unreadable.
 */
async function readRecord(options: ResolvedOptions, namespace: string, key: string, now: number): Promise<string | null | undefined> {
  const storage = options.storage!;
  let record: string | null;
  try {
    record = await storage.get(namespace, key, now);
  } catch (cause) {
    if (isSessionError(cause, 'STORAGE_ERROR')) throw cause;
    throw new SessionError('STORAGE_ERROR', `${storage.name} storage failed to read a session`, { cause, storage: storage.name });
  }
  if (record === null || record === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(record);
    if (Array.isArray(parsed) && typeof parsed[0] === 'string') return parsed[0];
  } catch {
    /* fall through */
  }
  return undefined;
}
