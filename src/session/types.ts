/**
 * The shapes a {@link Session} is built from and keeps: its state, its remaining times, what the manager
 * hands it, and the session and remember cookies the client holds.
 *
 * @module
 */
import type { SessionEntry } from '../codec/payload.ts';
import type { OpenedCookie } from '../reader.ts';

/** `'new'`: not saved yet; `'open'`: loaded from a cookie or saved; `'closed'`: destroyed, logged out or closed. */
export type SessionState = 'new' | 'open' | 'closed';

/**
 * Remaining seconds of each enabled timeout; `undefined` where a timeout is disabled. The closest of them
 * is `Session.timeToLive`.
 */
export interface TimeRemaining {
  readonly idling: number | undefined;
  readonly rolling: number | undefined;
  readonly absolute: number | undefined;
}

/** The session cookie the client holds (loaded from the request, or written by this request). @internal */
export interface CurrentCookie {
  header: Uint8Array;
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly rollingOffset: number;
  idlingOffset: number;
  readonly flags: number;
  readonly macKey: Uint8Array;
  /** base64url ciphertext (cookie storage: needed to re-send the first chunk on touch). */
  readonly payload: string;
  readonly storageKey: string | undefined;
}

/** The remember cookie the client holds. @internal */
export interface RememberCookie {
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly storageKey: string | undefined;
}

/** How the manager hands a session its starting state. @internal */
export interface SessionInit {
  readonly now: number;
  readonly entries: SessionEntry[];
  readonly exists: boolean;
  readonly opened: OpenedCookie | undefined;
  /** Chunk cookies the request carried (`session`, `session2`, ...), to expire leftovers. */
  readonly requestChunks: number;
  /** Remember cookie chunks the request carried (`remember`, `remember2`, ...); default 1 when sent. */
  readonly rememberChunks?: number;
  readonly rememberCookie: RememberCookie | undefined;
  /** Whether the request carried a remember cookie at all. */
  readonly rememberSent: boolean;
  /**
   * Opens the request's remember cookie on demand, when the session cookie itself opened: a save keeps
   * its creation time and a destroy deletes its record (spec 4.4).
   */
  readonly loadRememberCookie?: () => Promise<RememberCookie | undefined>;
}

/**
 * The session cookie a request presented, as the session keeps it.
 * @param opened - the cookie the manager opened
 * @returns its header fields, keys and payload
 */
export function currentCookieOf(opened: OpenedCookie): CurrentCookie {
  const h = opened.header;
  return {
    header: h.bytes,
    sid: h.sid,
    creationTime: h.creationTime,
    rollingOffset: h.rollingOffset,
    idlingOffset: h.idlingOffset,
    flags: h.flags,
    macKey: opened.macKey,
    payload: opened.payload,
    storageKey: opened.storageKey,
  };
}
