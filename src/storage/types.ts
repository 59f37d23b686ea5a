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
  /**
   * The record's successor token (opaque base64url text: a sealed header under the strict `concurrency`
   * policies, the new record's key under last-write-wins): kept with the record
   * under `oldKey`, after any it already has, for as long as that record lives, so that a request still
   * holding the old cookie can find the record that replaced it, and a destroy can reach every record
   * saved from it. Only sent to a store with {@link Storage.getRecord}, and only with an `oldKey` other
   * than `key`.
   */
  readonly successor?: string | undefined;
  /**
   * Compare-and-set (with `successor`): write the record only if the one under `oldKey` is live and has
   * no successor yet, and claim it with `successor` in the same atomic step. When it already has one,
   * nothing is written (or what was written is withdrawn before `set` resolves) and `set` resolves to
   * `{ oldKeyLive: true, conflict: true }`.
   */
  readonly exclusive?: boolean | undefined;
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
  /**
   * With `exclusive`: `true` when the record under `oldKey` already had a successor, so this record was
   * not written (a concurrent request saved the same session first).
   */
  readonly conflict?: boolean | undefined;
}

/** A record as {@link Storage.getRecord} reads it. */
export interface StorageRecord {
  /** The record text, as {@link Storage.get} returns it. */
  readonly value: string;
  /** The successor tokens it was given by the saves that replaced it, oldest first; empty when none. */
  readonly successors: readonly string[];
}

/** What {@link Storage.delete} may report back: the successor tokens of the record it deleted. */
export interface StorageDeleteResult {
  /** The deleted record's successor tokens, oldest first (empty when it had none or was absent). */
  readonly successors: readonly string[];
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
  /**
   * Deletes a record (a no-op when absent) and removes it from the metadata index. A store with
   * {@link getRecord} resolves to the deleted record's successors, read and deleted in one atomic step, so
   * that a destroy also ends every record saved from it.
   */
  delete(namespace: string, key: string, now: number, metadata?: StorageMetadata): Promise<void | StorageDeleteResult>;
  /**
   * Optional, and what makes a store support `concurrency: 'reject' | 'merge'` (compare-and-set saves):
   * reads a live record with its successor tokens; `null` when absent or expired. A store that has it
   * must also honour `successor` and `exclusive` in {@link set} and report successors from {@link delete}.
   */
  getRecord?(namespace: string, key: string, now: number): Promise<StorageRecord | null>;
  /** Lists the live keys of one audience + subject with their expiry (Unix seconds). */
  readMetadata?(namespace: string, audience: string, subject: string, now: number): Promise<Map<string, number>>;
  /** Releases resources; idempotent. */
  close?(): Promise<void>;
}

/** Storage keys are base64url text of 43 characters (32 bytes): anything else is refused before I/O. */
export const STORAGE_KEY = /^[A-Za-z0-9_-]{43}$/;
