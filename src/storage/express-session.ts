/**
 * `httpsession/storage/express-session`: any express-session store (connect-redis, connect-mongo,
 * connect-pg-simple, memorystore, express-session's own MemoryStore, ...) as an httpsession {@link Storage}.
 *
 * The store keeps, under the id `[prefix:]namespace:key`, an object shaped like an express-session
 * session: `{ cookie, record, expires }`. `record` is httpsession's opaque, encrypted record text;
 * `expires` its expiry in Unix seconds, checked on every read (a store's own expiry is garbage
 * collection, and some stores fall back to a default of a day or two weeks); `cookie` is what stores read
 * their TTL from: `expires` (a `Date`), a `maxAge` getter (milliseconds left) and `originalMaxAge`, as in
 * express-session's `Cookie`, always set to the record's own TTL whatever the browser cookie's lifetime.
 *
 * Nothing is imported from express-session: a store is any object with the callback methods `get`, `set`
 * and `destroy` (and `touch`, unused: a shortened record is rewritten with `set`). The callback settles a
 * call, once (a store calling back twice is ignored the second time); a rejected promise or a throw fails it.
 *
 * Not supported: `readMetadata` (listing a subject's sessions: express-session stores have no index), so
 * leave `storeMetadata` off. The store API has no compare-and-set: two requests saving the same session at
 * once both write (the last one wins), as with express-session itself.
 *
 * @example
 * import { RedisStore } from 'connect-redis';
 * import { expressSessionStore } from 'httpsession/storage/express-session';
 * const sessions = createSessionManager({ secret, storage: expressSessionStore(new RedisStore({ client })) });
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import type { Storage, StorageSetInput, StorageSetResult } from './types.ts';
import { deadlines } from './deadline.ts';
import { checkKey, checkNamePart, checkNamespace, checkSetInput, checkTime, describeType } from './validate.ts';

/** What the bridge stores under a session id: a session as express-session stores expect one. */
export interface BridgedSession {
  /** The TTL, in the form stores read it. */
  readonly cookie: BridgedCookie;
  /** httpsession's record text. */
  readonly record: string;
  /** When the record expires, Unix seconds (the session's clock). */
  readonly expires: number;
}

/**
 * The part of an express-session store the bridge calls (stores extend express-session's `Store`). The
 * session parameters are `any` so that every store's own declaration of them fits; the bridge passes a
 * {@link BridgedSession} and reads one back.
 */
export interface ExpressSessionStoreLike {
  /** Reads the record stored under `sid`; calls back with it, or with nothing when there is none. */
  // biome-ignore lint: see above
  get(sid: string, callback: (err: any, session?: any) => void): unknown;
  /** Stores `session` under `sid`. */
  // biome-ignore lint: see above
  set(sid: string, session: any, callback?: (err?: any) => void): unknown;
  /** Deletes the record stored under `sid`. */
  // biome-ignore lint: see above
  destroy(sid: string, callback?: (err?: any) => void): unknown;
}

/** Options of {@link expressSessionStore}. */
export interface ExpressSessionStoreOptions {
  /** The name in errors and logs. Default `'express-session'`. */
  readonly name?: string | undefined;
  /**
   * Prepended to every session id as `prefix:`, to share one store between applications; `[A-Za-z0-9_-]`,
   * default none. (Stores add their own prefix too, e.g. connect-redis's `sess:`.)
   */
  readonly prefix?: string | undefined;
  /** Milliseconds after which a call rejects with `STORAGE_ERROR` if the store has not called back; 0 = never. Default 5000. */
  readonly timeout?: number | undefined;
}

/**
 * The TTL of a record in the shape of express-session's `Cookie`: `expires`, `originalMaxAge` and a
 * `maxAge` getter (what connect-redis, connect-mongo, connect-pg-simple, memorystore and MemoryStore read).
 */
export class BridgedCookie {
  /** The TTL, milliseconds. */
  readonly originalMaxAge: number;
  /** When the store may drop the record (the store's clock). */
  readonly expires: Date;
  readonly httpOnly = true;
  readonly path = '/';

  /** @param ttl - seconds */
  constructor(ttl: number) {
    this.originalMaxAge = ttl * 1000;
    this.expires = new Date(Date.now() + this.originalMaxAge);
  }

  /** Milliseconds left. */
  get maxAge(): number {
    return this.expires.getTime() - Date.now();
  }

  /** What stores that serialize with JSON keep (express-session's `Cookie.toJSON` shape). */
  toJSON(): { originalMaxAge: number; expires: Date; httpOnly: boolean; path: string } {
    return { originalMaxAge: this.originalMaxAge, expires: this.expires, httpOnly: this.httpOnly, path: this.path };
  }
}

/**
 * Wraps an express-session store as an httpsession {@link Storage}.
 * @param store - a constructed express-session store (an object with callback `get`, `set`, `destroy`)
 * @param options - `name`, `prefix`, `timeout`
 * @returns the storage, for the `storage` option of `createSessionManager`
 * @throws TypeError when `store` lacks a method or an option is malformed
 * @example
 * import session from 'express-session';
 * const storage = expressSessionStore(new session.MemoryStore());
 */
export function expressSessionStore(store: ExpressSessionStoreLike, options: ExpressSessionStoreOptions = {}): Storage {
  for (const method of ['get', 'set', 'destroy'] as const) {
    if (typeof store?.[method] !== 'function') throw new TypeError(`expressSessionStore: "store.${method}" expected a function, got ${describeType(store?.[method])}`);
  }
  const name = options.name ?? 'express-session';
  if (typeof name !== 'string' || name === '') throw new TypeError(`"name" expected a non-empty string, got ${describeType(name)}`);
  const prefix = options.prefix ?? '';
  if (prefix !== '') checkNamePart(prefix, 'prefix');
  const timeout = options.timeout ?? 5000;
  if (typeof timeout !== 'number' || !(timeout >= 0) || !Number.isFinite(timeout)) throw new RangeError(`"timeout" expected a non-negative number of milliseconds, got ${String(timeout)}`);
  const withDeadline = deadlines(timeout, name);
  const sid = (namespace: string, key: string): string => `${prefix === '' ? '' : `${prefix}:`}${namespace}:${key}`;

  /** Calls one store method with a callback, settling once; store failures become STORAGE_ERROR. */
  const call = <T>(op: string, method: 'get' | 'set' | 'destroy', args: unknown[]): Promise<T | undefined> =>
    withDeadline(() => callStore<T>(store, method, args)).catch((cause: unknown) => {
      throw new SessionError('STORAGE_ERROR', `${name} storage failed to ${op}`, { storage: name, cause });
    });
  const read = async (id: string, now: number): Promise<BridgedSession | undefined> => {
    const value = await call<unknown>('read a record', 'get', [id]);
    const record = recordOf(value);
    // Whole seconds on both sides: a record stays live through its last second (the store's own expiry,
    // in milliseconds, usually comes first).
    return record !== undefined && record.expires >= now ? record : undefined;
  };
  const write = (id: string, record: string, ttl: number, now: number): Promise<unknown> =>
    call('write a record', 'set', [id, { cookie: new BridgedCookie(ttl), record, expires: now + ttl } satisfies BridgedSession]);

  return {
    name,
    async get(namespace, key, now) {
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      return (await read(sid(namespace, key), now))?.record ?? null;
    },
    async set(input: StorageSetInput): Promise<void | StorageSetResult> {
      checkSetInput(input);
      const { namespace, key, value, ttl, now, oldKey } = input;
      await write(sid(namespace, key), value, Math.ceil(ttl), now);
      if (oldKey === undefined || oldKey === key) return undefined;
      // Shorten the replaced record to the stale TTL, never extending it.
      const oldId = sid(namespace, oldKey);
      const old = await read(oldId, now);
      if (old === undefined) return { oldKeyLive: false };
      const stale = Math.ceil(input.staleTtl ?? 0);
      if (stale <= 0) await call('delete a record', 'destroy', [oldId]);
      else if (old.expires - now > stale) await write(oldId, old.record, stale, now);
      // else: it expires sooner than the stale TTL, and is left as it is
      return { oldKeyLive: true };
    },
    async delete(namespace, key, now) {
      checkNamespace(namespace);
      checkKey(key, 'key');
      checkTime(now, 'now');
      await call('delete a record', 'destroy', [sid(namespace, key)]);
    },
  };
}

/** The bridge's record in what a store's `get` returned (stores may add fields, or return JSON text). */
function recordOf(value: unknown): BridgedSession | undefined {
  const parsed = typeof value === 'string' ? safeParse(value) : value;
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { record, expires } = parsed as Partial<BridgedSession>;
  if (typeof record !== 'string' || typeof expires !== 'number') return undefined;
  return parsed as BridgedSession;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Calls `store[method](...args, callback)`. The callback is authoritative, as for express-session (which
 * always passes one and ignores what the method returns): the first call settles. A method that throws
 * or returns a rejected promise fails too. An `ENOENT` error from `get` means "not found".
 */
function callStore<T>(store: ExpressSessionStoreLike, method: 'get' | 'set' | 'destroy', args: unknown[]): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let settled = false;
    const done = (err: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      if (err === undefined || err === null) resolve(value);
      else if (method === 'get' && (err as { code?: unknown }).code === 'ENOENT') resolve(undefined);
      else reject(err);
    };
    const returned = (store[method] as (...a: unknown[]) => unknown).call(store, ...args, (err: unknown, value?: T) => done(err, value));
    if (typeof (returned as Promise<T> | undefined)?.then === 'function') {
      (returned as Promise<T>).then(undefined, (err: unknown) => done(err ?? new Error(`${method} rejected`)));
    }
  });
}
