/**
 * Sealing and opening one cookie (spec 1.1-1.3, 2.3, 2.4): AES-256-GCM over the plaintext with the
 * header's first 47 bytes as AAD, the tag stored in the header, and a truncated HMAC-SHA256 over the
 * first 66 header bytes (plus an optional client binding). Pure and synchronous.
 *
 * @module
 */
import { base64urlDecode, base64urlEncode, encodedLength } from './base64url.ts';
import { allocBytes } from './bytes.ts';
import { constantTimeEqual, type CryptoBackend } from './crypto.ts';
import {
  AAD_SIZE,
  COOKIE_TYPE,
  HEADER_SIZE,
  HEADER_TEXT_SIZE,
  Limits,
  MAC_INPUT_SIZE,
  readHeader,
  writeHeaderPrefix,
  writeUint,
  type Header,
} from './header.ts';
import type { EncryptionKey } from './keys.ts';

const HASH_SIGN = new Uint8Array([0x23]); // '#'
const encoder = new TextEncoder();

/** What a seal needs besides the keys. */
export interface SealInput {
  readonly flags: number;
  /** 32 raw session id bytes; must be fresh for every seal (the IV is derived from it). */
  readonly sid: Uint8Array;
  readonly creationTime: number;
  readonly rollingOffset: number;
  readonly idlingOffset: number;
  /** The bytes to encrypt (JSON, deflated when `flags` says so). */
  readonly plaintext: Uint8Array;
}

/** A sealed cookie: the 82-byte header and the ciphertext. */
export interface SealedCookie {
  readonly header: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** A parsed header with the bytes it came from. */
export interface ParsedHeader extends Header {
  readonly bytes: Uint8Array;
}

/**
 * The MAC suffix that binds a cookie to its client (spec 2.4): `"#" || SHA-256(values joined by "|")`,
 * or `undefined` when every selected value is empty.
 * @param crypto - the backend
 * @param values - the selected values in the fixed order remote address, scheme, User-Agent
 */
export function bindDigest(crypto: CryptoBackend, values: readonly (string | undefined)[]): Uint8Array | undefined {
  let joined: string | undefined;
  for (const v of values) if (v !== undefined && v !== '') joined = joined === undefined ? v : `${joined}|${v}`;
  if (joined === undefined) return undefined;
  const digest = crypto.sha256(encoder.encode(joined));
  const out = new Uint8Array(33);
  out.set(HASH_SIGN);
  out.set(digest, 1);
  return out;
}

/**
 * Computes the 16-byte header MAC.
 * @param crypto - the backend
 * @param macKey - the session id's MAC key
 * @param header - the 82-byte header (only the first 66 bytes are read)
 * @param binding - the client binding suffix from {@link bindDigest}
 */
export function computeMac(
  crypto: CryptoBackend,
  macKey: Uint8Array,
  header: Uint8Array,
  binding?: Uint8Array,
): Uint8Array {
  return crypto.hmacSha256(macKey, header.subarray(0, MAC_INPUT_SIZE), binding).subarray(0, 16);
}

/**
 * Encrypts and authenticates one cookie.
 * @param crypto - the backend
 * @param input - header fields and plaintext
 * @param key - the AES key and IV of `input.sid`
 * @param macKey - the MAC key of `input.sid`
 * @param binding - the client binding suffix, if the flags ask for one
 */
export function seal(
  crypto: CryptoBackend,
  input: SealInput,
  key: EncryptionKey,
  macKey: Uint8Array,
  binding?: Uint8Array,
): SealedCookie {
  const dataSize = encodedLength(input.plaintext.length);
  if (dataSize > Limits.dataSize) throw new RangeError('session data too large: the encrypted data exceeds 16 MiB');
  const header = writeHeaderPrefix(input.flags, input.sid, input.creationTime, input.rollingOffset, dataSize);
  const { ciphertext, tag } = crypto.encrypt(key.key, key.iv, input.plaintext, header.subarray(0, AAD_SIZE));
  header.set(tag, AAD_SIZE);
  writeUint(header, 63, 3, Math.min(input.idlingOffset, Limits.idlingOffset));
  header.set(computeMac(crypto, macKey, header, binding), MAC_INPUT_SIZE);
  return { header, ciphertext };
}

/**
 * Returns a copy of `header` with a new idling offset and MAC: what `touch` sends (spec 4.2). The
 * ciphertext is not touched, so no (key, IV) pair is ever used twice.
 */
export function retouch(
  crypto: CryptoBackend,
  header: Uint8Array,
  idlingOffset: number,
  macKey: Uint8Array,
  binding?: Uint8Array,
): Uint8Array {
  const out = allocBytes(header.length);
  out.set(header);
  writeUint(out, 63, 3, Math.min(Math.max(idlingOffset, 0), Limits.idlingOffset));
  out.set(computeMac(crypto, macKey, out, binding), MAC_INPUT_SIZE);
  return out;
}

/**
 * Decodes the first 110 characters of a cookie value into header fields; never throws.
 * @param value - an attacker-controlled cookie value
 * @returns the header, or `null` when it is too short, not canonical base64url, or not of type 1
 */
export function parseHeader(value: string): ParsedHeader | null {
  if (value.length < HEADER_TEXT_SIZE) return null;
  const bytes = base64urlDecode(value.length === HEADER_TEXT_SIZE ? value : value.slice(0, HEADER_TEXT_SIZE));
  if (bytes === null || bytes.length !== HEADER_SIZE || bytes[0] !== COOKIE_TYPE) return null;
  return readHeader(bytes);
}

/**
 * Checks a header's MAC in constant time.
 * @returns whether `header.mac` is the MAC of the header under `macKey` and `binding`
 */
export function verifyMac(
  crypto: CryptoBackend,
  header: ParsedHeader,
  macKey: Uint8Array,
  binding?: Uint8Array,
): boolean {
  return constantTimeEqual(computeMac(crypto, macKey, header.bytes, binding), header.mac);
}

/**
 * Decrypts a payload whose header has been authenticated; never throws.
 * @param crypto - the backend
 * @param header - the authenticated header
 * @param payload - the base64url ciphertext
 * @param key - the AES key and IV of the header's session id
 * @returns the plaintext bytes (still deflated when flagged), or `null` on any mismatch
 */
export function openPayload(
  crypto: CryptoBackend,
  header: ParsedHeader,
  payload: string,
  key: EncryptionKey,
): Uint8Array | null {
  if (payload.length !== header.dataSize) return null;
  const ciphertext = base64urlDecode(payload);
  if (ciphertext === null) return null;
  return decryptPayload(crypto, header, ciphertext, key);
}

/**
 * Decrypts an already decoded payload whose header has been authenticated; never throws.
 * @param crypto - the backend
 * @param header - the authenticated header (its tag and AAD are used)
 * @param ciphertext - the decoded ciphertext
 * @param key - the AES key and IV of the header's session id
 * @returns the plaintext bytes (still deflated when flagged), or `null` when the tag does not authenticate
 */
export function decryptPayload(crypto: CryptoBackend, header: ParsedHeader, ciphertext: Uint8Array, key: EncryptionKey): Uint8Array | null {
  return crypto.decrypt(key.key, key.iv, ciphertext, header.tag, header.bytes.subarray(0, AAD_SIZE));
}

/** Encodes a sealed cookie's header and ciphertext as base64url text. */
export function sealedText(sealed: SealedCookie): { header: string; payload: string } {
  return { header: base64urlEncode(sealed.header), payload: base64urlEncode(sealed.ciphertext) };
}
