/**
 * Revocation of sessions whose data the server does not hold (ASVS 5.0 7.4.1; the cookie-store logout
 * replay of CVE-2024-31999). With cookie storage a logged-out cookie is still a valid cookie; a
 * revocation store remembers what was ended until it would have expired anyway:
 *
 * - a denylist of session ids, each entry living as long as the cookie could still be accepted: ids
 *   ended by `destroy`, `logout`, `regenerate` or a subject change are refused at once, ids replaced by an
 *   ordinary save after `staleTtl` seconds (so a client cannot roll its data back to an older cookie);
 * - a per-subject "not before" time (`revokeSubject`: log out everywhere), rejecting every session of
 *   that subject created before it.
 *
 * Any {@link Storage} holds it (memory for one process, Redis for several). Ids and subjects are stored
 * only as SHA-256 hashes. When the store fails, `failMode: 'closed'` (the default) rejects the request
 * with a `STORAGE_ERROR`; `'open'` lets the session through and warns.
 *
 * @module
 */
import { base64urlEncode } from './codec/base64url.ts';
import type { CryptoBackend } from './codec/crypto.ts';
import { isSessionError, SessionError } from './errors.ts';
import type { Storage } from './storage/types.ts';

/** The `revocation` option. */
export interface RevocationOptions {
  /** Where revoked ids and subjects are kept. */
  readonly storage: Storage;
  /** What a failing revocation store means: `'closed'` rejects the request (default), `'open'` lets it through. */
  readonly failMode?: 'closed' | 'open' | undefined;
}

/** The revocation checks and marks the session uses. @internal */
export interface Revocation {
  /**
   * Whether a cookie was revoked: its id is denylisted, or one of its subjects was revoked after it was
   * created.
   * @throws SessionError `'STORAGE_ERROR'` in closed mode when the store fails
   */
  isRevoked(sid: Uint8Array, creationTime: number, subjects: readonly string[], now: number): Promise<boolean>;
  /**
   * Denylists a session id for `ttl` seconds, from `activeFrom` on (default: now). A replaced id gets
   * `now + staleTtl`, so that requests already in flight with it still work until then.
   */
  revokeId(sid: Uint8Array, ttl: number, now: number, activeFrom?: number): Promise<void>;
  /** Rejects every session of `subject` created before `now`, for `ttl` seconds. */
  revokeSubject(subject: string, ttl: number, now: number): Promise<void>;
}

const ID_NAMESPACE = 'revoked-id';
const SUBJECT_NAMESPACE = 'revoked-subject';
const encoder = new TextEncoder();

/**
 * Builds the revocation checks over a store.
 * @param crypto - for the SHA-256 of ids and subjects
 * @param options - the validated `revocation` option
 * @param warn - where the open fail mode reports a failing store
 */
export function createRevocation(crypto: CryptoBackend, options: RevocationOptions, warn: (message: string) => void): Revocation {
  const { storage } = options;
  const failOpen = options.failMode === 'open';
  const idKey = (sid: Uint8Array): string => base64urlEncode(crypto.sha256(sid));
  const subjectKey = (subject: string): string => base64urlEncode(crypto.sha256(encoder.encode(`subject:${subject}`)));
  const failure = (what: string, cause: unknown): SessionError =>
    isSessionError(cause, 'STORAGE_ERROR')
      ? cause
      : new SessionError('STORAGE_ERROR', `${storage.name} storage failed to ${what} the revocation list`, { cause, storage: storage.name });

  return {
    async isRevoked(sid, creationTime, subjects, now) {
      try {
        const lookups = [storage.get(ID_NAMESPACE, idKey(sid), now), ...subjects.map((s) => storage.get(SUBJECT_NAMESPACE, subjectKey(s), now))];
        const [id, ...notBefore] = await Promise.all(lookups);
        // The value is the time from which the id is refused (`'1'`, from older writers, means always).
        if (id !== null && now >= Number(id)) return true;
        return notBefore.some((value) => value !== null && creationTime < Number(value));
      } catch (cause) {
        if (!failOpen) throw failure('read', cause);
        warn('httpsession: the revocation store failed; failing open as configured');
        return false;
      }
    },
    async revokeId(sid, ttl, now, activeFrom = now) {
      try {
        await storage.set({ namespace: ID_NAMESPACE, key: idKey(sid), value: String(activeFrom), ttl: Math.max(1, ttl), now });
      } catch (cause) {
        throw failure('write', cause);
      }
    },
    async revokeSubject(subject, ttl, now) {
      try {
        await storage.set({ namespace: SUBJECT_NAMESPACE, key: subjectKey(subject), value: String(now), ttl: Math.max(1, ttl), now });
      } catch (cause) {
        throw failure('write', cause);
      }
    },
  };
}
