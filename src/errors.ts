/**
 * One error family for operational failures (a store down, headers already sent, a session used after
 * it was closed). Attacker-controlled input never produces one of these: it yields "no session" and an
 * {@link InvalidReason} instead. Messages never carry a secret, a key, a cookie value or a session id.
 *
 * @module
 */

/** The stable codes of {@link SessionError}. */
export type SessionErrorCode =
  /** A storage backend failed (network, disk, protocol); `cause` holds the backend's error. */
  | 'STORAGE_ERROR'
  /** The session was used after `destroy()`, `logout()` of its last audience, or `close()`. */
  | 'SESSION_CLOSED'
  /** A cookie had to be written but the response headers were already sent. */
  | 'HEADERS_SENT'
  /** The session is too large for the configured storage (cookie storage: 9 cookies of 4 KiB). */
  | 'SESSION_TOO_LARGE'
  /** An operation needs a session that exists (was opened from a cookie or saved) but this one does not. */
  | 'SESSION_NOT_FOUND'
  /** The session was destroyed or revoked by another request while this one was using it; nothing was saved. */
  | 'SESSION_REVOKED';

/**
 * An operational failure of a session operation.
 * @example
 * try { await session.save(); } catch (err) { if (isSessionError(err, 'STORAGE_ERROR')) retryLater(); }
 */
export class SessionError extends Error {
  /** A stable, literal code to branch on. */
  readonly code: SessionErrorCode;
  /** The storage backend's name, for `STORAGE_ERROR`. */
  readonly storage: string | undefined;

  /**
   * @param code - the error code
   * @param message - a human-readable message with no secret, cookie value or session id in it
   * @param options - `cause` (the underlying error) and `storage` (the backend's name)
   */
  constructor(code: SessionErrorCode, message: string, options: { cause?: unknown; storage?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SessionError';
    this.code = code;
    this.storage = options.storage;
  }
}

/**
 * Whether `value` is a {@link SessionError}, optionally of one code.
 * @param value - anything caught
 * @param code - the code to match
 */
export function isSessionError(value: unknown, code?: SessionErrorCode): value is SessionError {
  return value instanceof SessionError && (code === undefined || value.code === code);
}

/**
 * Why a cookie did not yield a session. Passed to the `onInvalid` hook; never thrown.
 *
 * - `'malformed'`: not a well-formed session cookie (bad length, alphabet, type byte, JSON).
 * - `'oversized'`: longer than any cookie this library writes; rejected before decoding.
 * - `'flags'`: its storage flag does not match the configured storage.
 * - `'unauthenticated'`: the header MAC matches none of the keys (tampered header, a foreign or removed
 *   secret, or a client binding that does not match). Deliberately not more precise.
 * - `'tampered'`: the header authenticates but the payload does not decrypt (GCM tag mismatch).
 * - `'expired'`: a timeout has passed (`detail` says which).
 * - `'missing-chunk'`: a chunked cookie arrived incomplete.
 * - `'not-found'`: the server-side record is missing or expired (also: an id the server never issued).
 * - `'revoked'`: the session id is on the revocation list, or its subject was revoked after it was created.
 */
export type InvalidReason =
  | 'malformed'
  | 'oversized'
  | 'flags'
  | 'unauthenticated'
  | 'tampered'
  | 'expired'
  | 'missing-chunk'
  | 'not-found'
  | 'revoked';

/** What the `onInvalid` hook receives. Carries no cookie value and no session id. */
export interface InvalidCookie {
  /** The typed reason. */
  readonly reason: InvalidReason;
  /** Which cookie: the session cookie or the remember cookie. */
  readonly cookie: 'session' | 'remember';
  /** lua-resty-session's message for the same failure, e.g. `'session idling timeout exceeded'`. */
  readonly detail: string;
}
