/**
 * Sealing a session's entries into a session cookie or a remember cookie (spec 1, 4.4) under the primary
 * key: the flags, the keys of the fresh session id, the client binding, and the text the cookie carries.
 *
 * @module
 */
import { Flags } from '../codec/header.ts';
import { deriveEncryptionKey, deriveMacKey, deriveRememberKey, type EncryptionKey } from '../codec/keys.ts';
import type { EncodedPayload } from '../codec/payload.ts';
import { base64urlEncode } from '../codec/base64url.ts';
import { seal, type SealedCookie } from '../codec/seal.ts';
import { clientBinding, type HttpExchange } from '../http/types.ts';
import type { ResolvedOptions } from '../options.ts';
import { storageKeyOf } from '../reader.ts';
import { rememberMaxAge } from './lifetime.ts';
import { cookieLines, persistentAttributes, type CookieLine } from './lines.ts';

/**
 * The flags of a cookie sealed now: the client binding chosen, whether the payload is deflated, and
 * whether it lives in the store.
 * @param o - the manager's options
 * @param deflated - whether the plaintext is deflated
 */
export function cookieFlags(o: ResolvedOptions, deflated: boolean): number {
  return o.bindFlags | (deflated ? Flags.deflate : 0) | (o.storage !== undefined ? Flags.storage : 0);
}

/** What a session cookie is sealed from. */
export interface SessionSealInput {
  /** A fresh session id: never sealed before. */
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly rollingOffset: number;
  readonly flags: number;
  readonly plaintext: Uint8Array;
}

/** A sealed cookie, with what the opened-cookie cache and a later touch need. */
export interface SealedText {
  /** The header as base64url text. */
  readonly header: string;
  /** The ciphertext as base64url text. */
  readonly payload: string;
  readonly macKey: Uint8Array;
  readonly binding: Uint8Array | undefined;
}

/**
 * Seals a session cookie with the primary key.
 * @param o - the manager's options
 * @param x - the exchange, for the client binding
 * @param input - the id, times, flags and plaintext
 * @returns the sealed bytes and their text
 */
export function sealSessionCookie(o: ResolvedOptions, x: HttpExchange, input: SessionSealInput): SealedText & { readonly raw: SealedCookie } {
  return sealUnder(o, x, input, deriveEncryptionKey(o.crypto, o.keys[0]!, input.sid));
}

/** Seals under the primary key's MAC key for `input.sid` and the given encryption key (HKDF or PBKDF2). */
function sealUnder(o: ResolvedOptions, x: HttpExchange, input: SessionSealInput, key: EncryptionKey): SealedText & { readonly raw: SealedCookie } {
  const { sid, flags } = input;
  const macKey = deriveMacKey(o.crypto, o.keys[0]!, sid);
  const binding = clientBinding(o.crypto, x, flags);
  const raw = seal(o.crypto, { flags, sid, creationTime: input.creationTime, rollingOffset: input.rollingOffset, idlingOffset: 0, plaintext: input.plaintext }, key, macKey, binding);
  return { raw, header: base64urlEncode(raw.header), payload: base64urlEncode(raw.ciphertext), macKey, binding };
}

/** A sealed remember cookie, ready to be stored and sent. */
export interface SealedRemember extends SealedText {
  readonly sid: Uint8Array;
  readonly creationTime: number;
  /** Its lifetime in seconds: the cookie's Max-Age and its record's TTL. */
  readonly maxAge: number;
  /** Its record's key, or `undefined` with cookie storage. */
  readonly storageKey: string | undefined;
  /** The JSON text it seals, for the opened-cookie cache. */
  readonly json: string;
  /** Its Set-Cookie lines. */
  readonly lines: CookieLine[];
}

/**
 * Seals a remember cookie under a fresh id, with the PBKDF2-derived key (spec 4.4).
 * @param o - the manager's options
 * @param x - the exchange, for the client binding
 * @param encoded - the session's encoded entries
 * @param creationTime - the creation time of the remember cookie it replaces, else `now`
 * @param now - Unix seconds
 * @throws SessionError `'SESSION_TOO_LARGE'` when a cookie-stored value does not fit in nine cookies
 */
export async function sealRememberCookie(o: ResolvedOptions, x: HttpExchange, encoded: EncodedPayload, creationTime: number, now: number): Promise<SealedRemember> {
  const sid = o.randomBytes(32);
  const rollingOffset = now - creationTime;
  const key = await deriveRememberKey(o.crypto, o.keys[0]!, sid, o.rememberSafety);
  const { header, payload, macKey, binding } = sealUnder(o, x, { sid, creationTime, rollingOffset, flags: cookieFlags(o, encoded.deflated), plaintext: encoded.bytes }, key);
  const maxAge = rememberMaxAge(o.rememberTimeouts, rollingOffset);
  const storageKey = o.storage !== undefined ? storageKeyOf(o, sid) : undefined;
  const lines = cookieLines(o, o.rememberName, { header, payload }, persistentAttributes(now, maxAge));
  return { header, payload, macKey, binding, sid, creationTime, maxAge, storageKey, json: encoded.json, lines };
}
