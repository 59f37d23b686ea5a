/**
 * `httpsession/codec`: the lua-resty-session 4 wire format on its own, pure and synchronous (but for
 * PBKDF2), for tools and for interoperability tests. Applications use `createSessionManager` instead.
 *
 * @module
 */
export { base64urlDecode, base64urlEncode, encodedLength } from './base64url.ts';
export { createNodeCrypto, defaultCrypto, nobleCrypto, type CryptoBackend, type KeyedHmac, type Sealed } from './crypto.ts';
export { Flags, HEADER_SIZE, HEADER_TEXT_SIZE, Limits, readHeader, type Header } from './header.ts';
export {
  deriveEncryptionKey,
  deriveMacKey,
  deriveRememberKey,
  ikmFromSecret,
  keyMaterial,
  REMEMBER_ITERATIONS,
  type EncryptionKey,
  type KeyMaterial,
  type RememberSafety,
} from './keys.ts';
export { decodePayload, encodePayload, type EncodedPayload, type SessionEntry } from './payload.ts';
export {
  bindDigest,
  computeMac,
  openPayload,
  parseHeader,
  retouch,
  seal,
  sealedText,
  verifyMac,
  type ParsedHeader,
  type SealedCookie,
  type SealInput,
} from './seal.ts';
