/**
 * Spill-over storage: the session lives in the cookie while its cookies fit in the `cookie.maxSize`
 * budget, and in a server-side store when they would not; each save decides again, so a session that
 * grows moves to the store and one that shrinks comes back, and the place it left is cleaned up.
 *
 * On the wire each save is exactly one of lua-resty-session's two formats (spec 1.3): a cookie-held
 * session is a cookie-storage cookie (header and payload, no storage flag), a store-held one a
 * server-side cookie (the 110-character header with FLAG_STORAGE) and the record `["<ciphertext>"]` under
 * `<cookie name>:<key>`. The flag tells the reader where the payload is, so every cookie opens whichever
 * way it was saved.
 *
 * @module
 */
import { Flags, HEADER_TEXT_SIZE } from './codec/header.ts';
import { chunkCount, cookieHeaderBytes } from './cookie/serialize.ts';
import type { ResolvedOptions } from './options.ts';
import { deleteRecord, revokedError, storageCall, type MetadataSource } from './session/records.ts';
import type { Storage } from './storage/types.ts';

const SPILLOVER = Symbol('httpsession.spillover');

/** A store wrapped by {@link spillover}: a Storage like any other, marked for the manager to recognise. */
export interface SpilloverStorage extends Storage {
  /** The store sessions spill into. */
  readonly store: Storage;
  /** @internal */
  readonly [SPILLOVER]: true;
}

/**
 * Keeps each session in the cookie while it fits in the `cookie.maxSize` budget, and in `store` when it
 * outgrows it (and back when it shrinks), without the application noticing. Pass it as `storage`.
 * @param store - the server-side store for sessions too large for the cookie
 * @returns a Storage to pass as the `storage` option
 * @throws TypeError when `store` is not a Storage
 * @example
 * createSessionManager({ secret, storage: spillover(redisStorage({ client })), cookie: { maxSize: 4096 } });
 */
export function spillover(store: Storage): SpilloverStorage {
  const s = store as Partial<Storage> | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.get !== 'function' || typeof s.set !== 'function' || typeof s.delete !== 'function') {
    throw new TypeError(`"spillover" expected a Storage (an object with get, set and delete), got ${s === null ? 'null' : typeof s}`);
  }
  const out: SpilloverStorage = {
    name: store.name,
    store,
    [SPILLOVER]: true,
    set: (input) => store.set(input),
    get: (namespace, key, now) => store.get(namespace, key, now),
    delete: (namespace, key, now, metadata) => store.delete(namespace, key, now, metadata),
    ...(store.readMetadata === undefined ? {} : { readMetadata: (n: string, a: string, sub: string, now: number) => store.readMetadata!(n, a, sub, now) }),
    ...(store.close === undefined ? {} : { close: () => store.close!() }),
  };
  return Object.freeze(out);
}

/** Whether the `storage` option is a {@link spillover} store. */
export function isSpillover(storage: unknown): storage is SpilloverStorage {
  return typeof storage === 'object' && storage !== null && (storage as Partial<SpilloverStorage>)[SPILLOVER] === true;
}

/** The manager's options as cookie storage sees them: the same, with no store. */
const cookieViews = new WeakMap<ResolvedOptions, ResolvedOptions>();

/**
 * The options a cookie is sealed and written under: with spill-over, the cookie-storage view of the
 * options when the cookie holds its payload (no storage flag), else the options themselves.
 * @param o - the manager's options
 * @param flags - the cookie's header flags (whether it is store-held)
 */
export function placementOf(o: ResolvedOptions, flags: number): ResolvedOptions {
  return !o.spill || (flags & Flags.storage) !== 0 ? o : cookieView(o);
}

function cookieView(o: ResolvedOptions): ResolvedOptions {
  let view = cookieViews.get(o);
  if (view === undefined) {
    view = Object.freeze({ ...o, storage: undefined, spill: false });
    cookieViews.set(o, view);
  }
  return view;
}

/** The longest `; Expires=<IMF-fixdate>; Max-Age=<n>` a remember cookie carries (n < 10^8: 400 days). */
const REMEMBER_ATTRIBUTES_MAX = '; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=34560000'.length;

/**
 * Where a save puts the session: with spill-over, in the cookie when the cookies it would write (the
 * session cookie and, with remember-me, the remember cookie, both carrying the payload) fit in the
 * budget, else in the store. Decided from the plaintext's length, before sealing, since the storage flag
 * is sealed into the header.
 * @param o - the manager's options
 * @param plaintextLength - bytes of the (possibly deflated) plaintext
 * @param remember - whether this save writes a remember cookie
 * @returns the options to seal and write under (see {@link placementOf})
 */
export function placeSave(o: ResolvedOptions, plaintextLength: number, remember: boolean): ResolvedOptions {
  if (!o.spill) return o;
  const value = HEADER_TEXT_SIZE + Math.ceil((plaintextLength * 4) / 3);
  let size = cookieBytes(o.cookieName.length, value, o.cookieAttributes.length);
  if (remember) size += 2 + cookieBytes(o.rememberName.length, value, o.cookieAttributes.length + REMEMBER_ATTRIBUTES_MAX);
  return size <= o.cookieMaxSize ? cookieView(o) : o;
}

/** The Cookie header bytes of a value under the chunking rules; past nine chunks, more than any budget. */
function cookieBytes(nameLength: number, valueLength: number, attributesLength: number): number {
  const count = chunkCount(nameLength, valueLength, attributesLength);
  return count === 0 ? Number.POSITIVE_INFINITY : cookieHeaderBytes(nameLength, valueLength, count);
}

/**
 * A store-held session is saved back into the cookie: its record is deleted, once it is known to still
 * exist (a session that another request destroyed meanwhile must not come back in a cookie).
 * @param o - the manager's options
 * @param key - the storage key of the record the session was loaded from
 * @param now - Unix seconds
 * @param metadata - the record's index metadata
 * @throws SessionError `'SESSION_REVOKED'` when the record is gone (nothing is written), `'STORAGE_ERROR'`
 */
export async function leaveStore(o: ResolvedOptions, key: string, now: number, metadata: MetadataSource): Promise<void> {
  const store = o.storage!;
  if ((await storageCall(o, () => store.get(o.cookieName, key, now), 'read')) === null) throw revokedError();
  await deleteRecord(o, o.cookieName, key, now, metadata);
}
