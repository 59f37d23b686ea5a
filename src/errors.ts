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
  /**
   * The session's cookies would exceed the `cookie.maxSize` budget (or nine cookies); nothing was written.
   * Thrown as a {@link SessionTooLargeError}, which carries the sizes.
   */
  | 'SESSION_TOO_LARGE'
  /** An operation needs a session that exists (was opened from a cookie or saved) but this one does not. */
  | 'SESSION_NOT_FOUND'
  /** The session was destroyed or revoked by another request while this one was using it; nothing was saved. */
  | 'SESSION_REVOKED'
  /** `saveSync()` / `commitSync()` had to save, but the save needs I/O (server-side storage, revocation, remember-me). */
  | 'SYNC_UNSUPPORTED'
  /**
   * Under `concurrency: 'reject'` (or `'merge'` with an attribute both requests changed and no merge
   * function): a concurrent request saved the session since this one opened it; nothing was saved, and
   * the client keeps the other request's cookie. Answer 409 and let the client retry.
   */
  | 'CONFLICT';

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
 * A save refused because the session's cookies would not fit: `size` is how many bytes they would add
 * to the request's `Cookie` header, `maxSize` the budget (the `cookie.maxSize` option). Numbers only:
 * never the data.
 * @example
 * catch (err) { if (err instanceof SessionTooLargeError) log.warn(`session of ${err.size} B over ${err.maxSize} B`); }
 */
export class SessionTooLargeError extends SessionError {
  /** Bytes the session's cookies would add to the `Cookie` header (all chunks, the remember cookie, separators). */
  readonly size: number;
  /** The budget they had to fit in (`cookie.maxSize`). */
  readonly maxSize: number;

  /**
   * @param message - a message with no data in it
   * @param size - the bytes the cookies would take
   * @param maxSize - the budget
   */
  constructor(message: string, size: number, maxSize: number) {
    super('SESSION_TOO_LARGE', message);
    this.name = 'SessionTooLargeError';
    this.size = size;
    this.maxSize = maxSize;
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
 * - `'oversized'`: the session's cookies in the request (all chunks and the remember cookie) are larger
 *   than the `cookie.maxSize` budget, or a value is longer than any cookie this library writes; rejected
 *   before decoding, and the manager answers with those cookies expired so the client sheds them.
 * - `'flags'`: its storage flag does not match the configured storage.
 * - `'unauthenticated'`: the header MAC matches none of the keys (tampered header, a foreign or removed
 *   secret, or a client binding that does not match). Deliberately not more precise.
 * - `'tampered'`: the header authenticates but the payload does not decrypt (GCM tag mismatch).
 * - `'expired'`: a timeout has passed (`detail` says which).
 * - `'missing-chunk'`: a chunked cookie arrived incomplete.
 * - `'not-found'`: the server-side record is missing or expired (also: an id the server never issued).
 * - `'revoked'`: the session id is on the revocation list, or its subject was revoked after it was created.
 * - `'schema'`: the data does not match the `schema` option (an older deploy's shape), or `migrate`
 *   dropped it or threw; `detail` names the attribute paths at fault, never their values.
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
  | 'revoked'
  | 'schema';

/** What the `onInvalid` hook receives. Carries no cookie value and no session id. */
export interface InvalidCookie {
  /** The typed reason. */
  readonly reason: InvalidReason;
  /** Which cookie: the session cookie or the remember cookie. */
  readonly cookie: 'session' | 'remember';
  /** lua-resty-session's message for the same failure, e.g. `'session idling timeout exceeded'`. */
  readonly detail: string;
}
