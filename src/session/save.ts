/**
 * The synchronous part of a save: sealing the entries under a fresh id and building the session cookie's
 * Set-Cookie lines. Store and revocation I/O (and the remember cookie's PBKDF2) are the only asynchronous
 * steps of a save, and `Session` runs them around this; with cookie storage a save is this alone
 * (`saveSync()`).
 *
 * @module
 */
import { Flags } from '../codec/header.ts';
import { encodePayload, type EncodedPayload, type SessionEntry } from '../codec/payload.ts';
import type { SealedCookie } from '../codec/seal.ts';
import { SessionError } from '../errors.ts';
import type { HttpExchange } from '../http/types.ts';
import type { ResolvedOptions } from '../options.ts';
import { cookieLines, type CookieLine } from './lines.ts';
import { cookieFlags, sealSessionCookie, type SealedText } from './sealing.ts';
import type { CurrentCookie } from './types.ts';
import { placeSave } from '../spillover.ts';

/** A session sealed for saving, not yet stored or sent. */
export interface SealedSave {
  readonly now: number;
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly rollingOffset: number;
  readonly flags: number;
  readonly encoded: EncodedPayload;
  readonly sealed: SealedText & { readonly raw: SealedCookie };
  /** The session cookie's Set-Cookie lines. */
  readonly lines: CookieLine[];
  /**
   * The options it is written under: the manager's, or with spill-over storage and a session that fits in
   * the cookie, their cookie-storage view (no store, no storage flag).
   */
  readonly placed: ResolvedOptions;
  /** The session's change version when it was sealed (what a successful save persisted). */
  readonly version: number;
}

/** What a save seals. */
export interface SaveInput {
  readonly entries: readonly SessionEntry[];
  /** The cookie the client holds, if any: its creation time is kept. */
  readonly prev: CurrentCookie | undefined;
  /** A fresh id: never sealed before. */
  readonly sid: Uint8Array;
  /** Set the forget flag (remember-me was switched off for this session). */
  readonly forget: boolean;
  /** Whether the save also writes a remember cookie (with spill-over, it counts against the budget). */
  readonly remember: boolean;
  /** Unix seconds (whole). */
  readonly now: number;
  /** The session's change version now, handed back in the result. */
  readonly version: number;
}

/**
 * Seals a session cookie and builds its lines; pure but for the crypto backend's work.
 * @param o - the manager's options
 * @param x - the exchange, for the client binding
 * @param input - entries, the held cookie, the fresh id and the clock
 * @returns the sealed cookie and its lines
 * @throws SessionError `'SESSION_TOO_LARGE'` when a cookie-stored session does not fit in nine cookies
 */
export function sealSave(o: ResolvedOptions, x: HttpExchange, input: SaveInput): SealedSave {
  const { prev, sid, now } = input;
  const creationTime = prev === undefined ? now : prev.creationTime;
  const rollingOffset = prev === undefined ? 0 : now - creationTime;
  const encoded = encodePayload(input.entries, o.compressionThreshold);
  // Spill-over storage: the cookie or the store, by the size the cookies would have (the storage flag is sealed).
  const placed = placeSave(o, encoded.bytes.length, input.remember);
  const flags = cookieFlags(placed, encoded.deflated) | (input.forget ? Flags.forget : 0);
  const sealed = sealSessionCookie(o, x, { sid, creationTime, rollingOffset, flags, plaintext: encoded.bytes });
  const lines = cookieLines(placed, o.cookieName, sealed, '');
  return { now, sid, creationTime, rollingOffset, flags, encoded, sealed, lines, placed, version: input.version };
}

/**
 * Whether a save can run without awaiting anything: cookie storage, no remember cookie to seal (its
 * PBKDF2 key is derived off the event loop), and no revocation store this save would write to (it checks
 * and revokes the id the client holds, so only a session without one qualifies).
 * @param o - the manager's options
 * @param remember - whether the save issues a remember cookie
 * @param holdsCookie - whether the client holds a session cookie this save replaces
 */
export function saveIsSync(o: ResolvedOptions, remember: boolean, holdsCookie: boolean): boolean {
  return o.storage === undefined && !remember && (o.revocation === undefined || !holdsCookie);
}

/**
 * The error of a synchronous save that would need I/O, saying why (no secret, id or cookie value).
 * @param o - the manager's options
 * @param remember - whether the save issues a remember cookie
 */
export function syncUnsupported(o: ResolvedOptions, remember: boolean): SessionError {
  const why =
    o.storage !== undefined
      ? `${o.storage.name} storage needs I/O`
      : remember
        ? 'the remember cookie needs an asynchronous key derivation'
        : 'the revocation store needs I/O';
  return new SessionError('SYNC_UNSUPPORTED', `the session cannot be saved synchronously: ${why}; use await session.save() or commit()`);
}
