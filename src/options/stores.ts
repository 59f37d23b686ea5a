/**
 * The options that take a {@link Storage}: `storage`, where server-side sessions live, and `revocation`,
 * where ended sessions are remembered. Both are checked for the shape the session calls (get, set and
 * delete) here, once, rather than failing on the first request.
 *
 * @module
 */
import type { CryptoBackend } from '../codec/crypto.ts';
import type { ResolvedOptions } from '../options.ts';
import { createRevocation, type Revocation, type RevocationOptions } from '../revocation.ts';
import type { Storage } from '../storage/types.ts';
import { describe, oneOf } from './validate.ts';

function isStorage(value: unknown): value is Storage {
  const s = value as Partial<Storage> | null | undefined;
  return typeof s === 'object' && s !== null && typeof s.get === 'function' && typeof s.set === 'function' && typeof s.delete === 'function';
}

/**
 * Checks the `storage` option, and that it keeps a subject index when `storeMetadata` asks for one.
 * @param storage - the user's store, or `undefined` to keep the data in the cookie
 * @param storeMetadata - the `storeMetadata` option
 * @returns the store as given
 * @throws TypeError when the value is not a Storage, or `storeMetadata` is on and the store has no `readMetadata` (memcached)
 */
export function resolveStorage(storage: Storage | undefined, storeMetadata = false): Storage | undefined {
  if (storage !== undefined && !isStorage(storage)) {
    throw new TypeError(`"storage" expected a Storage (an object with get, set and delete), got ${describe(storage)}`);
  }
  if (storeMetadata && storage !== undefined && typeof storage.readMetadata !== 'function') {
    throw new TypeError(`"storeMetadata" needs a storage with a subject index (readMetadata); ${storage.name} storage keeps none: remove the option or use another store`);
  }
  return storage;
}

/**
 * Checks the `revocation` option and builds the revocation checks on top of its store.
 * @param revocation - the user's `revocation` option, or `undefined` for none
 * @param crypto - the backend ids and subjects are hashed with
 * @param logger - where an open-mode store failure is reported
 * @returns the revocation, or `undefined` when the option is not set
 * @throws TypeError naming `revocation.storage` or `revocation.failMode` when invalid
 */
export function resolveRevocation(
  revocation: RevocationOptions | undefined,
  crypto: CryptoBackend,
  logger: ResolvedOptions['logger'],
): Revocation | undefined {
  if (revocation === undefined) return undefined;
  if (typeof revocation !== 'object' || revocation === null || !isStorage(revocation.storage)) {
    throw new TypeError(`"revocation.storage" expected a Storage (an object with get, set and delete), got ${describe(revocation?.storage)}`);
  }
  if (revocation.failMode !== undefined) oneOf(revocation.failMode, ['closed', 'open'], 'revocation.failMode');
  return createRevocation(crypto, revocation, (m) => logger.warn(m));
}
