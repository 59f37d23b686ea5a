/**
 * The storage seam (spec 5.1). A session whose data lives server-side keeps only its 110-character
 * header in the cookie; the store holds the record `["<b64url ciphertext>"]` (or with a second,
 * info element) under `<namespace>:<key>`, exactly as lua-resty-session does, so a Node service and an
 * OpenResty service can share one store.
 *
 * Every method is asynchronous and awaited by the session. A store rejects with a
 * `SessionError` of code `'STORAGE_ERROR'` naming itself, with the backend's error as `cause`.
 *
 * @module
 */

/** Subjects and audiences a record is indexed under, for listing and revoking a subject's sessions. */
export interface StorageMetadata {
  /** base64url of each audience. */
  readonly audiences: readonly string[];
  /** The encoded subject of each audience (base64url, or a hash of it with `hashSubject`). */
  readonly subjects: readonly string[];
}

/** Arguments of {@link Storage.set}. */
export interface StorageSetInput {
  /** The cookie name the record belongs to (`'session'` or `'remember'`): a namespace. */
  readonly namespace: string;
  /** The 43-character storage key (base64url of the session id, or of its SHA-256). */
  readonly key: string;
  /** The record text. */
  readonly value: string;
  /** Seconds the record lives (at least 1). */
  readonly ttl: number;
  /** The current time, Unix seconds, from the session's clock. */
  readonly now: number;
  /** The key this record replaces: it must stay readable at most `staleTtl` more seconds. */
  readonly oldKey?: string | undefined;
  /** Seconds the replaced record stays readable (never extended past its own expiry). */
  readonly staleTtl?: number | undefined;
  /** Index entries to add (and, with `oldKey`, to move). */
  readonly metadata?: StorageMetadata | undefined;
}

/**
 * What {@link Storage.set} may report back. A store that resolves `set` to `undefined` instead (every
 * store written before this type existed) still works: the session then reads the replaced record with
 * {@link Storage.get} to learn the same thing, at the cost of one more call.
 * @example
 * async set(input: StorageSetInput): Promise<StorageSetResult | undefined> {
 *   // ... write input.value under input.key, shorten the record under input.oldKey ...
 *   return input.oldKey === undefined || input.oldKey === input.key ? undefined : { oldKeyLive };
 * }
 */
export interface StorageSetResult {
  /**
   * Whether the record under `input.oldKey` was still live (present and not expired) once the new record
   * had been written. Only meaningful when `oldKey` was given and differs from `key`; the bundled stores
   * then always report it, and otherwise resolve to `undefined`.
   *
   * The session uses it to refuse resurrecting a session that a concurrent request destroyed while this
   * one was saving: `false` makes it withdraw the new record. A store must therefore answer `false` only
   * when the old record is really gone, never because it merely had less time left than `staleTtl`.
   */
  readonly oldKeyLive: boolean;
}

/**
 * A server-side session store. Implementations are plain objects from a factory (`memoryStorage()`),
 * validate keys before any I/O, and check expiry lazily against the `now` they are given.
 */
export interface Storage {
  /** A short name used in errors and logs, e.g. `'memory'`, `'redis'`. */
  readonly name: string;
  /**
   * Stores a record, replacing any record under the same key, then shortens the record under `oldKey`
   * (if any) to `staleTtl`. May resolve to a {@link StorageSetResult} telling whether that old record was
   * still live; a store that resolves to `undefined` makes the session fall back to reading the old
   * record with {@link Storage.get}, so stores that predate the result keep working unchanged.
   */
  set(input: StorageSetInput): Promise<void | StorageSetResult>;
  /** Reads a live record; `null` when absent or expired. */
  get(namespace: string, key: string, now: number): Promise<string | null>;
  /** Deletes a record (a no-op when absent) and removes it from the metadata index. */
  delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<void>;
  /** Lists the live keys of one audience + subject with their expiry (Unix seconds). */
  readMetadata?(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /** Releases resources; idempotent. */
  close?(): Promise<void>;
}

/** Storage keys are base64url text of 43 characters (32 bytes): anything else is refused before I/O. */
export const STORAGE_KEY = /^[A-Za-z0-9_-]{43}$/;
