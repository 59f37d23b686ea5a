/**
 * Concurrency-safe saves (issue 10): two requests of one session in flight at once must not lose one's
 * change, nor bring back a session that a concurrent logout destroyed.
 *
 * Every save in this model writes a new record under a new id and leaves the one it replaces readable
 * for `staleTtl` seconds. So "has anyone changed the session since I read it?" is "has the record I read
 * been replaced?": each save leaves a *successor token* on the record it replaces, and with a strict
 * `concurrency` policy it claims that record in the same atomic step as a compare-and-set: a second save
 * from the same record finds the claim and gets a conflict. Under last-write-wins a token is just the
 * successor record's storage key (only a destroy follows it); under the strict policies it is the
 * successor's 110-character cookie header, sealed (AES-256-GCM under a key derived from the replaced header's MAC key, bound to the
 * replaced record's storage key), so the store never holds a usable cookie and only this deployment can
 * follow the chain:
 *
 * - a request that opens a replaced record follows the tokens to the newest one (and sends its cookie),
 *   so reads are fresh and a client left with an old cookie is not stuck with it;
 * - a save that conflicts rejects (`'reject'`), or opens the successor and merges three ways
 *   (`'merge'`): attributes only one side changed are kept, and an attribute both changed goes through
 *   the `merge` function named after it, else the save rejects;
 * - a destroy deletes the record and every record reachable from its tokens, read and deleted
 *   atomically by the store, so a save that raced it leaves no live session.
 *
 * @module
 */
import { base64urlDecode, base64urlEncode } from './codec/base64url.ts';
import { HEADER_TEXT_SIZE } from './codec/header.ts';
import type { SessionEntry } from './codec/payload.ts';
import { SessionError } from './errors.ts';
import { describe } from './options/validate.ts';
import type { Storage, StorageDeleteResult } from './storage/types.ts';

/**
 * What a save does when another request saved the same session since this one opened it:
 * - `'last-write-wins'` (default): it saves anyway, as lua-resty-session does; the other's changes are
 *   lost from this cookie's line (both records stay readable).
 * - `'reject'`: it fails with a `SessionError` of code `'CONFLICT'`, writing nothing; the client keeps the
 *   newer cookie and can retry.
 * - `'merge'`: it merges three ways (see {@link MergeFunctions}) and saves the result on top of the other
 *   request's save; `'CONFLICT'` only when an attribute both changed has no merge function.
 *
 * `'reject'` and `'merge'` need a store that supports compare-and-set (memory, Redis, PostgreSQL,
 * MySQL/MariaDB, memcached): `Storage.getRecord`.
 */
export type ConcurrencyPolicy = 'last-write-wins' | 'reject' | 'merge';

/**
 * Resolves an attribute both requests changed: gets this request's value, the other request's, and the
 * value both started from (`undefined` where the attribute was absent), and returns the value to save
 * (`undefined` removes it).
 * @example
 * // Both requests incremented: add this one's increment to the other's result.
 * const count: MergeFunction<number> = (mine, theirs, base) => (theirs ?? 0) + (mine ?? 0) - (base ?? 0);
 */
export type MergeFunction<T = unknown> = (mine: T | undefined, theirs: T | undefined, base: T | undefined) => T | undefined;

/** Per attribute name, how to merge it when both requests changed it (`concurrency: 'merge'`). */
export type MergeFunctions<Data extends Record<string, unknown> = Record<string, unknown>> = {
  readonly [K in keyof Data]?: MergeFunction<Data[K]>;
};

/** The resolved `concurrency` and `merge` options. @internal */
export interface ResolvedConcurrency {
  readonly policy: ConcurrencyPolicy;
  readonly merge: Readonly<Record<string, MergeFunction>>;
}

const POLICIES: readonly ConcurrencyPolicy[] = ['last-write-wins', 'reject', 'merge'];

/**
 * How many successors an open follows from the client's cookie: a chain grows by one for each save
 * from a replaced cookie, so this bounds both the work of one request and how far behind a cookie may be.
 */
export const MAX_SUCCESSOR_HOPS = 32;

/** How many times one save merges and tries again before it fails with `'CONFLICT'`. */
export const MAX_MERGE_ATTEMPTS = 16;

/**
 * Checks the `concurrency` and `merge` options against the store.
 * @param policy - the `concurrency` option
 * @param merge - the `merge` option
 * @param storage - the `storage` option, resolved
 * @param spill - whether it is a spill-over store
 * @throws TypeError naming `concurrency` or `merge`
 */
export function resolveConcurrency(policy: unknown, merge: unknown, storage: Storage | undefined, spill: boolean): ResolvedConcurrency {
  const p = policy === undefined ? 'last-write-wins' : policy;
  if (typeof p !== 'string' || !POLICIES.includes(p as ConcurrencyPolicy)) {
    throw new TypeError(`"concurrency" expected one of ${POLICIES.map((x) => `'${x}'`).join(', ')}, got ${describe(policy)}`);
  }
  if (p !== 'last-write-wins') {
    if (storage === undefined || spill) {
      throw new TypeError(`"concurrency" '${p}' needs server-side storage: a cookie-held session has no server state to compare with (use a store, not spill-over)`);
    }
    if (typeof storage.getRecord !== 'function') {
      throw new TypeError(`"concurrency" '${p}' needs a storage with compare-and-set (getRecord); ${storage.name} storage has none: use memory, redis, postgres, mysql or memcached storage`);
    }
  }
  const m = merge ?? {};
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new TypeError(`"merge" expected an object of functions by attribute name, got ${describe(merge)}`);
  for (const [name, fn] of Object.entries(m)) {
    if (typeof fn !== 'function') throw new TypeError(`"merge.${name}" expected a function, got ${describe(fn)}`);
  }
  if (Object.keys(m).length > 0 && p !== 'merge') throw new TypeError(`"merge" is only used with concurrency: 'merge', got concurrency '${p}'`);
  return Object.freeze({ policy: p as ConcurrencyPolicy, merge: Object.freeze({ ...(m as Record<string, MergeFunction>) }) });
}

/** The error of a save that lost a race under a strict policy. */
export function conflictError(detail: string): SessionError {
  return new SessionError('CONFLICT', `the session was saved by a concurrent request since this one opened it: ${detail}`);
}

// ------------------------------------------------------------------ successor tokens

/** What sealing a token needs of the crypto backend. */
interface TokenCrypto {
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array };
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOKEN_LABEL = encoder.encode('httpsession successor v1');
const IV_SIZE = 12;
const TAG_SIZE = 16;

/** The token key of a replaced record: HMAC-SHA256(its header's MAC key, label); never its AES key. */
function tokenKey(crypto: TokenCrypto, macKey: Uint8Array): Uint8Array {
  return crypto.hmacSha256(macKey, TOKEN_LABEL);
}

/**
 * Seals a successor token: the new cookie's header text, for the record it replaces.
 * @param crypto - the backend
 * @param randomBytes - the IV's source
 * @param macKey - the MAC key of the replaced header
 * @param oldKey - the replaced record's storage key (authenticated, not encrypted)
 * @param headerText - the successor's 110-character header text
 * @returns base64url text (184 characters)
 */
export function sealSuccessor(crypto: TokenCrypto, randomBytes: (n: number) => Uint8Array, macKey: Uint8Array, oldKey: string, headerText: string): string {
  const iv = randomBytes(IV_SIZE);
  const { ciphertext, tag } = crypto.encrypt(tokenKey(crypto, macKey), iv, encoder.encode(headerText), encoder.encode(oldKey));
  const out = new Uint8Array(IV_SIZE + ciphertext.length + TAG_SIZE);
  out.set(iv);
  out.set(ciphertext, IV_SIZE);
  out.set(tag, IV_SIZE + ciphertext.length);
  return base64urlEncode(out);
}

/**
 * Opens a successor token; `null` for anything that is not a token this deployment sealed for `oldKey`
 * (store content is not trusted more than a cookie).
 * @returns the successor's header text
 */
export function openSuccessor(crypto: TokenCrypto, macKey: Uint8Array, oldKey: string, token: string): string | null {
  const bytes = base64urlDecode(token);
  if (bytes === null || bytes.length !== IV_SIZE + HEADER_TEXT_SIZE + TAG_SIZE) return null;
  const iv = bytes.subarray(0, IV_SIZE);
  const ciphertext = bytes.subarray(IV_SIZE, IV_SIZE + HEADER_TEXT_SIZE);
  const tag = bytes.subarray(IV_SIZE + HEADER_TEXT_SIZE);
  const plain = crypto.decrypt(tokenKey(crypto, macKey), iv, ciphertext, tag, encoder.encode(oldKey));
  return plain === null ? null : decoder.decode(plain);
}

/** The successors a store's `delete` reported, if it reports any. */
export function deletedSuccessors(result: void | StorageDeleteResult): readonly string[] {
  return typeof result === 'object' && result !== null && Array.isArray(result.successors) ? result.successors : [];
}

// ------------------------------------------------------------------ three-way merge

/** JSON values compare by their JSON text (what the session would seal). */
function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Merges this request's entries into the other request's, three ways, for `audience`'s entry: an
 * attribute (or the subject) only one side changed since `base` takes that side's value; one both changed
 * goes through its merge function, else keeps the value when both set the same one, else the merge fails. Other audiences' entries
 * are the other request's.
 * @param base - the entries both started from
 * @param mine - this request's entries
 * @param theirs - the other request's saved entries
 * @param audience - this application's audience
 * @param merge - the merge functions by attribute name
 * @returns the merged entries, or the name of the attribute that could not be merged
 */
export function mergeEntries(
  base: readonly SessionEntry[],
  mine: readonly SessionEntry[],
  theirs: readonly SessionEntry[],
  audience: string,
  merge: Readonly<Record<string, MergeFunction>>,
): { readonly entries: SessionEntry[] } | { readonly conflict: string } {
  const find = (entries: readonly SessionEntry[]): SessionEntry | undefined => entries.find((e) => e.audience === audience);
  const b = find(base);
  const m = find(mine);
  const t = find(theirs);
  const others = theirs.filter((e) => e.audience !== audience);
  // This audience logged out here, or there: the side that ended it wins only if the other did not change it.
  if (m === undefined || t === undefined) {
    if (m === undefined && t === undefined) return { entries: others };
    if (b === undefined) return m === undefined ? { entries: [...theirs] } : { entries: [...others, m] };
    const kept = m ?? t!;
    if (!same(kept, b)) return { conflict: '(audience ended)' };
    return { entries: others };
  }
  const bd = b?.data ?? {};
  const data: Record<string, unknown> = {};
  const names = new Set([...Object.keys(bd), ...Object.keys(m.data), ...Object.keys(t.data)]);
  for (const name of names) {
    const bv = Object.hasOwn(bd, name) ? bd[name] : undefined;
    const mv = Object.hasOwn(m.data, name) ? m.data[name] : undefined;
    const tv = Object.hasOwn(t.data, name) ? t.data[name] : undefined;
    let v: unknown;
    const fn = Object.hasOwn(merge, name) ? merge[name] : undefined;
    if (same(mv, bv)) v = tv;
    else if (same(tv, bv)) v = mv;
    // Both changed it: its merge function decides, even when both made it equal (two increments).
    else if (fn !== undefined) v = fn(structuredClone(mv), structuredClone(tv), structuredClone(bv));
    else if (same(mv, tv)) v = mv;
    else return { conflict: name };
    if (v !== undefined) data[name] = v;
  }
  const bs = b?.subject;
  const subject = m.subject === bs ? t.subject : t.subject === bs || t.subject === m.subject ? m.subject : null;
  if (subject === null) return { conflict: '(subject)' };
  const entry: SessionEntry = subject === undefined ? { data, audience } : { data, audience, subject };
  // This audience's entry keeps its place among the other request's entries.
  return { entries: theirs.map((e) => (e === t ? entry : e)) };
}
