/**
 * What the server keeps about a session: its store records (spec 2.8, 4.3) and its revocation marks. Every
 * store call is awaited, and a store failure rejects with `'STORAGE_ERROR'` naming the store.
 *
 * @module
 */
import type { SessionEntry } from '../codec/payload.ts';
import { isSessionError, SessionError } from '../errors.ts';
import type { ResolvedOptions, Timeouts } from '../options.ts';
import { STORAGE_KEY, type Storage, type StorageMetadata } from '../storage/types.ts';
import { conflictError, deletedSuccessors, openSuccessor } from '../concurrency.ts';
import { openCookie, successorRecord, type OpenedCookie } from '../reader.ts';
import { lifetimeLeft } from './lifetime.ts';
import type { CurrentCookie, RememberCookie } from './types.ts';

/**
 * The index metadata of the session's record. Read at each store call, as the entries it comes from may
 * change while a call is awaited.
 */
export type MetadataSource = () => StorageMetadata | undefined;

/** The error of a save that would bring back a session destroyed or revoked meanwhile. */
export function revokedError(): SessionError {
  return new SessionError('SESSION_REVOKED', 'the session was destroyed or revoked while this request was using it');
}

/**
 * Runs one store call, turning its failure into a `'STORAGE_ERROR'` (kept as is when it already is one).
 * @param o - the manager's options
 * @param call - the store call
 * @param what - the verb for the message: `'save'`, `'read'`, `'delete'`
 */
export async function storageCall<T>(o: ResolvedOptions, call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (isSessionError(cause, 'STORAGE_ERROR')) throw cause;
    const name = o.storage?.name ?? 'storage';
    throw new SessionError('STORAGE_ERROR', `${name} storage failed to ${what} a session`, { cause, storage: name });
  }
}

/**
 * Deletes one record of the configured store.
 * @param o - the manager's options (with a store)
 * @param namespace - the cookie name the record belongs to
 * @param key - the record's storage key
 */
export async function deleteRecord(o: ResolvedOptions, namespace: string, key: string, now: number, metadata: MetadataSource): Promise<readonly string[]> {
  return deletedSuccessors(await storageCall(o, () => o.storage!.delete(namespace, key, now, metadata()), 'delete'));
}

/** The most records one destroy deletes along successor chains (bounded work per request). */
const MAX_CHAIN_DELETES = 32;

/**
 * Deletes a session record and every record saved from it by concurrent requests (its successors, and
 * theirs), so that a destroy wins over a save that raced it: the store reads and deletes each record's
 * successors in one atomic step, and a save claims its predecessor only after writing its own record.
 * @param o - the manager's options (with a store)
 * @param key - the record's storage key
 * @param macKey - its header's MAC key (successor tokens are sealed under it)
 * @param binding - the client binding suffix for a header's bind flags
 */
export async function deleteSessionRecords(
  o: ResolvedOptions,
  key: string,
  macKey: Uint8Array,
  now: number,
  metadata: MetadataSource,
  binding: (flags: number) => Uint8Array | undefined,
): Promise<void> {
  const pending: Array<{ key: string; macKey: Uint8Array | undefined }> = [{ key, macKey }];
  const seen = new Set<string>();
  while (pending.length > 0 && seen.size < MAX_CHAIN_DELETES) {
    const r = pending.shift()!;
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    for (const token of await deleteRecord(o, o.cookieName, r.key, now, metadata)) {
      // A last-write-wins save leaves its record's key; a strict one its sealed header.
      if (STORAGE_KEY.test(token)) pending.push({ key: token, macKey: undefined });
      else {
        const next = r.macKey === undefined ? null : successorRecord(o, r.macKey, r.key, token, binding);
        if (next !== null) pending.push({ key: next.storageKey, macKey: next.macKey });
      }
    }
  }
}

/** The subjects of a session's entries, for the revocation check. */
export function subjectsOf(entries: readonly SessionEntry[]): string[] {
  const out = new Set<string>();
  for (const e of entries) if (e.subject !== undefined) out.add(e.subject);
  return [...out];
}

/** A session record to write, and the record it replaces. */
export interface SessionRecord {
  readonly key: string;
  /** The sealed payload as base64url text. */
  readonly payload: string;
  readonly ttl: number;
  readonly now: number;
  /** The previous record to keep `staleTtl` seconds, or `undefined` to leave its TTL alone. */
  readonly oldKey: string | undefined;
  /** The record the request loaded the session from, which must still exist after the write. */
  readonly loadedKey: string | undefined;
  readonly metadata: MetadataSource;
  /** The successor token to leave on `oldKey`'s record (stores with compare-and-set only). */
  readonly successor?: string | undefined;
  /** Claim `oldKey`'s record: write only if it has no successor yet. */
  readonly exclusive?: boolean | undefined;
  /**
   * Leave `oldKey`'s record its life (a merge saves on top of a concurrent request's record, whose cookie
   * the client may be left holding).
   */
  readonly keepOld?: boolean | undefined;
}

/**
 * Writes a session record, then checks that the record the session was loaded from still exists: if
 * another request destroyed it meanwhile, the new record is withdrawn instead of resurrecting the
 * session. The bundled stores tell from the write itself; for any other store (or a regenerate, which
 * passes no `oldKey`) it is read.
 * @param o - the manager's options (with a store)
 * @param r - the record
 * @throws SessionError `'SESSION_REVOKED'` when the loaded record is gone, `'STORAGE_ERROR'`
 */
export async function writeSessionRecord(o: ResolvedOptions, r: SessionRecord): Promise<'written' | 'conflict'> {
  const store: Storage = o.storage!;
  const input = { namespace: o.cookieName, key: r.key, value: JSON.stringify([r.payload]), ttl: r.ttl, now: r.now, oldKey: r.oldKey, staleTtl: r.keepOld === true ? r.ttl : o.staleTtl };
  const cas = r.successor === undefined ? {} : { successor: r.successor, ...(r.exclusive === true ? { exclusive: true } : {}) };
  const written = await storageCall(o, () => store.set({ ...input, ...cas, metadata: r.metadata() }), 'save');
  if (r.exclusive === true && typeof written === 'object' && written !== null && written.conflict === true) return 'conflict';
  const loadedKey = r.loadedKey;
  const oldKeyLive =
    loadedKey === undefined
      ? true
      : r.oldKey !== undefined && typeof written === 'object' && written !== null && typeof written.oldKeyLive === 'boolean'
        ? written.oldKeyLive
        : (await storageCall(o, () => store.get(o.cookieName, loadedKey, r.now), 'read')) !== null;
  if (!oldKeyLive) {
    await deleteRecord(o, o.cookieName, r.key, r.now, r.metadata);
    throw revokedError();
  }
  return 'written';
}

/**
 * Puts a replaced cookie's id on the revocation list (when one is configured), for as long as the cookie
 * could still be accepted: at once, or after `staleTtl` seconds when it was merely re-saved (so requests
 * already in flight with it still work until then).
 * @param o - the manager's options
 * @param cookie - the replaced cookie's id and times
 * @param t - the timeouts it was issued under
 * @param atOnce - refuse it from `now` on, not from `now + staleTtl`
 */
export async function revokeReplaced(
  o: ResolvedOptions,
  cookie: { readonly sid: Uint8Array; readonly creationTime: number; readonly rollingOffset: number },
  t: Timeouts,
  atOnce: boolean,
  now: number,
): Promise<void> {
  const r = o.revocation;
  if (r === undefined) return;
  const ttl = lifetimeLeft(cookie.creationTime, cookie.rollingOffset, t, now);
  await r.revokeId(cookie.sid, ttl, now, atOnce ? now : now + o.staleTtl);
}

/** A sealed remember cookie's record, and the remember cookie it replaces. */
export interface RememberRecord {
  /** Its storage key, or `undefined` with cookie storage. */
  readonly key: string | undefined;
  readonly payload: string;
  readonly maxAge: number;
  readonly now: number;
  /** The remember cookie the client held. */
  readonly previous: RememberCookie | undefined;
  /** The session id is rotated: the previous remember cookie dies at once, not after `staleTtl`. */
  readonly rotate: boolean;
  readonly metadata: MetadataSource;
}

/**
 * Writes a remember cookie's record (if stored) and ends the one it replaces: its record deleted on
 * rotation (else kept readable `staleTtl` seconds), its id revoked.
 * @param o - the manager's options
 * @param r - the record
 * @throws SessionError `'STORAGE_ERROR'`
 */
export async function writeRememberRecord(o: ResolvedOptions, r: RememberRecord): Promise<void> {
  const { previous, rotate, now } = r;
  const key = r.key;
  if (key !== undefined) {
    const oldKey = rotate ? undefined : previous?.storageKey;
    const input = { namespace: o.rememberName, key, value: JSON.stringify([r.payload]), ttl: r.maxAge, now, oldKey, staleTtl: o.staleTtl };
    // Indexed too, so that revoking a subject also ends the remember cookies that could otherwise restore
    // its sessions.
    await storageCall(o, () => o.storage!.set({ ...input, metadata: r.metadata() }), 'save');
  }
  if (previous !== undefined) {
    // Deleted at once on rotation, and when this remember cookie has no record (spill-over moved it into
    // the cookie): no later write would shorten it.
    if ((rotate || key === undefined) && o.storage !== undefined && previous.storageKey !== undefined) {
      await deleteRecord(o, o.rememberName, previous.storageKey, now, r.metadata);
    }
    // The replaced remember cookie is refused at once on rotation, after `staleTtl` otherwise.
    const replaced = { sid: previous.sid, creationTime: previous.creationTime, rollingOffset: now - previous.creationTime };
    await revokeReplaced(o, replaced, o.rememberTimeouts, rotate, now);
  }
}

/**
 * Opens the record that a concurrent save put in place of `prev`'s (the save of this request lost the
 * compare-and-set), following its successors to the newest.
 * @param o - the manager's options (with a compare-and-set store)
 * @param prev - the cookie this request's save tried to replace
 * @param binding - the client binding suffix for a header's bind flags
 * @returns the newest record, opened
 * @throws SessionError `'SESSION_REVOKED'` when it is gone (a concurrent destroy), `'CONFLICT'` when it
 *   cannot be opened, `'STORAGE_ERROR'`
 */
export async function openSuccessorOf(o: ResolvedOptions, prev: CurrentCookie, now: number, binding: (flags: number) => Uint8Array | undefined): Promise<OpenedCookie> {
  const store = o.storage!;
  const key = prev.storageKey!;
  const record = await storageCall(o, async () => (await store.getRecord!(o.cookieName, key, now)) ?? null, 'read');
  if (record === null) throw revokedError();
  const token = record.successors.at(-1);
  const next = token === undefined ? null : openSuccessor(o.crypto, prev.macKey, key, token);
  if (next === null) throw conflictError('its record cannot be read');
  const opened = await openCookie(o, next, { kind: 'session', chunk: () => undefined, binding, now }, 1);
  if (opened.ok) return opened.cookie;
  if (opened.reason === 'not-found') throw revokedError();
  throw conflictError(`its record did not open (${opened.reason})`);
}
