/**
 * The file store's names: records `<prefix>_<namespace>_<key>`, metadata indexes
 * `<prefix>_<namespace>.<audience>.<subject>.meta` and temp files `.<name>.<16 hex>.tmp`, every one joined
 * to the directory and asserted to sit directly in it (GO-2024-2730).
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { dirname, join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import type { StorageMetadata, StorageSetInput } from '../types.ts';
import type { State } from './state.ts';

/** Index names longer than this use a hash of `audience.subject` instead (long raw subjects). */
const MAX_INDEX_NAME = 200;

/** A temp file's name; group 1 is the name of the file it was to replace. */
const TEMP = /^\.(.+)\.[0-9a-f]{16}\.tmp$/;

/** The names of one store's files, for the sweep: a shared directory (e.g. /tmp) holds others too. */
export interface NamePatterns {
  readonly recordPattern: RegExp;
  readonly indexPattern: RegExp;
}

/**
 * Builds the patterns of the record and index names of a store.
 * @param prefix - the prefix with its '_' separator, or ''
 * @returns the patterns, to spread into the store's {@link State}
 * @example
 * const { recordPattern } = namePatterns('myapp_');
 * recordPattern.test('myapp_session_' + key); // true
 */
export function namePatterns(prefix: string): NamePatterns {
  const escaped = prefix.replace(/\./g, '\\.');
  return {
    recordPattern: new RegExp(`^${escaped}[A-Za-z0-9_-]+_[A-Za-z0-9_-]{43}$`),
    indexPattern: new RegExp(`^${escaped}[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+){1,2}\\.meta$`),
  };
}

/**
 * The path of a record file.
 * @param state - the store
 * @param namespace - a validated namespace
 * @param key - a validated storage key
 * @returns `<directory>/<prefix>_<namespace>_<key>`
 * @example
 * const path = recordPath(state, 'session', key);
 */
export function recordPath(state: State, namespace: string, key: string): string {
  return inDirectory(state, `${state.prefix}${namespace}_${key}`);
}

/**
 * The paths of the indexes named by a record's metadata, one per audience + subject pair.
 * @param state - the store
 * @param namespace - a validated namespace
 * @param metadata - validated metadata
 * @returns one index path per pair, in order
 * @example
 * const paths = indexPaths(state, 'session', { audiences: ['c2hvcA'], subjects: ['YWxpY2U'] });
 */
export function indexPaths(state: State, namespace: string, metadata: StorageMetadata): string[] {
  return metadata.audiences.map((audience, i) => indexPath(state, namespace, audience, metadata.subjects[i]!));
}

/**
 * The path of the index of one audience + subject.
 * @param state - the store
 * @param namespace - a validated namespace
 * @param audience - a validated audience
 * @param subject - a validated subject
 * @returns `<directory>/<prefix>_<namespace>.<audience>.<subject>.meta`, or with a hash of
 *   `<audience>.<subject>` as one segment when that name would be too long
 * @example
 * const path = indexPath(state, 'session', 'c2hvcA', 'YWxpY2U');
 */
export function indexPath(state: State, namespace: string, audience: string, subject: string): string {
  let name = `${state.prefix}${namespace}.${audience}.${subject}.meta`;
  // A long raw subject would exceed the file-name limit (ENAMETOOLONG on every save): hash it instead.
  // One '.'-segment instead of two, so a hashed name never equals an unhashed one.
  if (name.length > MAX_INDEX_NAME) name = `${state.prefix}${namespace}.${hex(sha256(new TextEncoder().encode(`${audience}.${subject}`)))}.meta`;
  return inDirectory(state, name);
}

/**
 * The namespace of an index file, from its name (one that matches the store's `indexPattern`).
 * @param state - the store
 * @param name - the index's file name
 * @returns the text between the prefix and the first '.' after it
 * @example
 * indexNamespace(state, 'myapp_session.c2hvcA.YWxpY2U.meta'); // 'session' with prefix 'myapp'
 */
export function indexNamespace(state: State, name: string): string {
  return name.slice(state.prefix.length, name.indexOf('.', state.prefix.length));
}

/** The files a `set` touches, computed (and contained) before any I/O. */
export interface SetPaths {
  readonly record: string;
  /** The replaced record, unless there is none or it is the record itself. */
  readonly old: string | undefined;
  readonly indexes: readonly string[];
}

/**
 * The files a `set` touches.
 * @param state - the store
 * @param input - the validated argument of `set`
 * @returns the new record, the replaced record (if any) and the indexes
 * @example
 * const paths = setPaths(state, input);
 */
export function setPaths(state: State, input: StorageSetInput): SetPaths {
  const { namespace, key, oldKey, metadata } = input;
  return {
    record: recordPath(state, namespace, key),
    // With oldKey === key the record is replaced anyway, so there is nothing to shorten.
    old: oldKey !== undefined && oldKey !== key ? recordPath(state, namespace, oldKey) : undefined,
    indexes: metadata === undefined ? [] : indexPaths(state, namespace, metadata),
  };
}

/**
 * A unique temp path next to `path`, so concurrent writers never share a temp file.
 * @param path - the file the temp file will be renamed over
 * @returns `<dir>/.<name>.<16 hex>.tmp`
 * @example
 * const temp = tempPathFor(path);
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${hex(globalThis.crypto.getRandomValues(new Uint8Array(8)))}.tmp`);
}

/**
 * The name of the file a temp file was to replace.
 * @param name - a file name in the directory
 * @returns that name, or `null` when `name` is not a temp file's
 * @example
 * tempTarget(`.session_${key}.0123456789abcdef.tmp`); // `session_${key}`
 */
export function tempTarget(name: string): string | null {
  const match = TEMP.exec(name);
  return match === null ? null : match[1]!;
}

/**
 * Joins a validated name to the directory and asserts that the result is a direct child of it. The
 * allow-lists already make this impossible to violate; the check keeps it so if they ever change.
 */
function inDirectory(state: State, name: string): string {
  const path = join(state.directory, name);
  if (dirname(path) !== state.directory || name === '.' || name === '..') {
    throw new TypeError('file storage refused a name that resolves outside its directory');
  }
  return path;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
