/**
 * What the server keeps about a session: its store records (spec 2.8, 4.3) and its revocation marks. Every
 * store call is awaited, and a store failure rejects with `'STORAGE_ERROR'` naming the store.
 *
 * @module
 */
import type { SessionEntry } from '../codec/payload.ts';
import { isSessionError, SessionError } from '../errors.ts';
import type { ResolvedOptions, Timeouts } from '../options.ts';
import type { Storage, StorageMetadata } from '../storage/types.ts';
import { lifetimeLeft } from './lifetime.ts';
import type { RememberCookie } from './types.ts';

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
export async function deleteRecord(o: ResolvedOptions, namespace: string, key: string, now: number, metadata: MetadataSource): Promise<void> {
  await storageCall(o, () => o.storage!.delete(namespace, key, now, metadata()), 'delete');
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
export async function writeSessionRecord(o: ResolvedOptions, r: SessionRecord): Promise<void> {
  const store: Storage = o.storage!;
  const input = { namespace: o.cookieName, key: r.key, value: JSON.stringify([r.payload]), ttl: r.ttl, now: r.now, oldKey: r.oldKey, staleTtl: o.staleTtl };
  const written = await storageCall(o, () => store.set({ ...input, metadata: r.metadata() }), 'save');
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
