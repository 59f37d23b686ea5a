/**
 * The 82-byte binary header of a session cookie (spec 1.1), with explicit little-endian packing.
 *
 * | field          | bytes | offset |
 * |----------------|------:|-------:|
 * | type (0x01)    | 1     | 0      |
 * | flags          | 2     | 1      |
 * | session id     | 32    | 3      |
 * | creation time  | 5     | 35     |
 * | rolling offset | 4     | 40     |
 * | data size      | 3     | 44     |
 * | GCM tag        | 16    | 47     |
 * | idling offset  | 3     | 63     |
 * | MAC            | 16    | 66     |
 *
 * @module
 */
import { allocBytes } from './bytes.ts';

/** Size of the binary header. */
export const HEADER_SIZE = 82;
/** Length of the base64url header: always the first 110 characters of a cookie value. */
export const HEADER_TEXT_SIZE = 110;
/** The only cookie type. */
export const COOKIE_TYPE = 1;
/** Bytes 0..47 are the AES-GCM additional authenticated data. */
export const AAD_SIZE = 47;
/** Bytes 0..66 are covered by the header MAC. */
export const MAC_INPUT_SIZE = 66;

/** Header flag bits (spec 1.2). Unknown bits are ignored on open. */
export const Flags = {
  /** The payload lives in server-side storage. */
  storage: 0x0001,
  /** Remember-me was switched off for this session. */
  forget: 0x0002,
  /** The plaintext was raw-deflated before encryption. */
  deflate: 0x0010,
  /** The MAC also covers the client address. */
  bindIp: 0x0100,
  /** The MAC also covers the request scheme. */
  bindScheme: 0x0200,
  /** The MAC also covers the User-Agent. */
  bindUserAgent: 0x0400,
} as const;

/** Largest values the header fields can hold (spec 1.1 constants). */
export const Limits = {
  creationTime: 2 ** 40 - 1,
  rollingOffset: 2 ** 32 - 1,
  idlingOffset: 2 ** 24 - 1,
  dataSize: 2 ** 24 - 1,
} as const;

/** The decoded header fields. */
export interface Header {
  readonly type: number;
  readonly flags: number;
  /** The 32 raw session id bytes. */
  readonly sid: Uint8Array;
  /** Unix seconds. */
  readonly creationTime: number;
  /** Seconds from creation to the save that minted this session id. */
  readonly rollingOffset: number;
  /** Length of the base64url ciphertext. */
  readonly dataSize: number;
  readonly tag: Uint8Array;
  /** Seconds from (creation + rolling offset) to the last touch. */
  readonly idlingOffset: number;
  readonly mac: Uint8Array;
}

function readUint(bytes: Uint8Array, offset: number, size: number): number {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[offset + i]!;
  return value;
}

/**
 * Writes `value` as a `size`-byte little-endian unsigned integer, truncated like `utils.bpack`.
 * @param bytes - destination
 * @param offset - where to start
 * @param size - width in bytes
 * @param value - a non-negative integer
 */
export function writeUint(bytes: Uint8Array, offset: number, size: number, value: number): void {
  let v = value;
  for (let i = 0; i < size; i++) {
    bytes[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/**
 * Reads the header fields from 82 bytes. The views share memory with `bytes`, which is returned too.
 * @param bytes - exactly {@link HEADER_SIZE} bytes
 * @returns the fields, and `bytes` itself
 */
export function readHeader(bytes: Uint8Array): Header & { readonly bytes: Uint8Array } {
  return {
    bytes,
    type: bytes[0]!,
    flags: readUint(bytes, 1, 2),
    sid: bytes.subarray(3, 35),
    creationTime: readUint(bytes, 35, 5),
    rollingOffset: readUint(bytes, 40, 4),
    dataSize: readUint(bytes, 44, 3),
    tag: bytes.subarray(47, 63),
    idlingOffset: readUint(bytes, 63, 3),
    mac: bytes.subarray(66, 82),
  };
}

/**
 * Packs the fields that precede the tag (the AAD part) into a fresh 82-byte header; tag, idling offset
 * and MAC are filled in by the caller.
 */
export function writeHeaderPrefix(
  flags: number,
  sid: Uint8Array,
  creationTime: number,
  rollingOffset: number,
  dataSize: number,
): Uint8Array {
  const bytes = allocBytes(HEADER_SIZE);
  bytes[0] = COOKIE_TYPE;
  writeUint(bytes, 1, 2, flags);
  bytes.set(sid, 3);
  writeUint(bytes, 35, 5, creationTime);
  writeUint(bytes, 40, 4, rollingOffset);
  writeUint(bytes, 44, 3, dataSize);
  return bytes;
}
