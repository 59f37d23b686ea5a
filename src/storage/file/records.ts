/**
 * The record file format and the operations on one record. A record file is a header line
 * `httpsession-file-v1 <exp> <byteLength>\n` followed by the value in UTF-8: a file whose body is not
 * exactly `byteLength` bytes (truncated, zero bytes, foreign) reads as a miss and is deleted best-effort,
 * never returned as a record (checklist case 40). The expiry (Unix seconds) is compared with the `now`
 * each call receives: a record is live while `now < exp`.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { readWithStats, removeIfUnchanged, writeAtomic } from './atomic.ts';
import type { State } from './state.ts';

const MAGIC = 'httpsession-file-v1';
/** The header line: magic, expiry as JavaScript prints a finite number, body length in bytes. */
const HEADER = /^httpsession-file-v1 (-?\d+(?:\.\d+)?(?:e[+-]\d+)?) (\d{1,15})$/;
/** Longer than any header this module writes (20 + 1 + ~24 + 1 + 15 + 1). */
const HEADER_MAX = 96;

/** A parsed header line: the expiry, where the body starts and how long it must be. */
interface Header {
  readonly expiresAt: number;
  readonly start: number;
  readonly length: number;
}

/** A record as parsed from its file. */
interface ParsedRecord {
  readonly expiresAt: number;
  readonly value: string;
}

/**
 * Writes a record atomically (temp file + rename), replacing any earlier one.
 * @param state - the store
 * @param path - the record's path
 * @param value - the stored value
 * @param expiresAt - its expiry, Unix seconds
 * @returns when the record is in place
 * @throws the file system's error when it cannot be written
 * @example
 * await writeRecord(state, paths.record, value, now + ttl);
 */
export function writeRecord(state: State, path: string, value: string, expiresAt: number): Promise<void> {
  return writeAtomic(state, path, encodeRecord(value, expiresAt));
}

/**
 * Reads a record's value. Expired, truncated or foreign: the read that finds it dead frees it (lazy
 * expiry, checklist case 40), unless a writer has replaced the file meanwhile.
 * @param path - the record's path
 * @param now - the current time, Unix seconds
 * @returns the value, or `null` when the record is missing, expired or corrupt
 * @throws the file system's error when the file exists but cannot be read
 * @example
 * const value = await getRecord(path, now);
 */
export async function getRecord(path: string, now: number): Promise<string | null> {
  const read = await readWithStats(path);
  if (read === null) return null;
  const record = parseRecord(read.data);
  if (record !== null && now < record.expiresAt) return record.value;
  await removeIfUnchanged(path, read.stats);
  return null;
}

/**
 * min(): a stale TTL shortens the old record's life, never extends it (spec 5.1). Read, then rewrite
 * atomically; a missing or corrupt old record is left to the lazy expiry.
 * @param state - the store
 * @param path - the old record's path
 * @param now - the current time, Unix seconds
 * @param limit - the latest expiry the old record may keep, Unix seconds
 * @returns whether the old record is live at `now` (what `get` would find)
 * @throws the file system's error when it cannot be read or rewritten
 * @example
 * const oldKeyLive = await shortenRecord(state, paths.old, now, now + staleTtl);
 */
export async function shortenRecord(state: State, path: string, now: number, limit: number): Promise<boolean> {
  const read = await readWithStats(path);
  const record = read === null ? null : parseRecord(read.data);
  if (record === null || !(now < record.expiresAt)) return false;
  if (record.expiresAt > limit) await writeRecord(state, path, record.value, limit);
  return true;
}

/**
 * Whether a record file exists with a valid, unexpired header: reads only the header and the size.
 * @param path - the record's path
 * @param now - the current time, Unix seconds
 * @returns whether `get` would find it
 * @throws the file system's error when the file exists but cannot be read
 * @example
 * if (await recordIsLive(recordPath(state, namespace, key), now)) live.set(key, expiresAt);
 */
export async function recordIsLive(path: string, now: number): Promise<boolean> {
  const read = await readWithStats(path, HEADER_MAX);
  if (read === null) return false;
  const header = parseHeader(read.data);
  return header !== null && read.stats.size - header.start === header.length && now < header.expiresAt;
}

/**
 * Deletes a record file that is expired or corrupt, for the sweep. A file whose name looks like a record
 * but that does not start with this format's magic is someone else's and is kept.
 * @param path - the record's path
 * @param now - the current time, Unix seconds
 * @returns whether the file was removed
 * @throws the file system's error when the file exists but cannot be read
 * @example
 * if (await removeDeadRecord(path, now)) removed++;
 */
export async function removeDeadRecord(path: string, now: number): Promise<boolean> {
  const read = await readWithStats(path, HEADER_MAX);
  if (read === null || !read.data.toString('latin1').startsWith(`${MAGIC} `)) return false; // not ours: keep
  const header = parseHeader(read.data);
  const intact = header !== null && read.stats.size - header.start === header.length;
  if (intact && now < header.expiresAt) return false;
  return removeIfUnchanged(path, read.stats);
}

function encodeRecord(value: string, expiresAt: number): Buffer {
  const body = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC} ${String(expiresAt)} ${body.length}\n`, 'latin1'), body]);
}

/** Parses a header line; `null` unless it is exactly this module's format. */
function parseHeader(data: Buffer): Header | null {
  const newline = data.subarray(0, HEADER_MAX).indexOf(0x0a);
  if (newline < 0) return null;
  const match = HEADER.exec(data.toString('latin1', 0, newline));
  if (match === null) return null;
  const expiresAt = Number(match[1]);
  const length = Number(match[2]);
  return Number.isFinite(expiresAt) ? { expiresAt, start: newline + 1, length } : null;
}

/** A whole record file; `null` when truncated, padded or not ours (a miss, never a record). */
function parseRecord(data: Buffer): ParsedRecord | null {
  const header = parseHeader(data);
  if (header === null || data.length - header.start !== header.length) return null;
  return { expiresAt: header.expiresAt, value: data.toString('utf8', header.start) };
}
