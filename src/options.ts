/**
 * Every option of `createSessionManager`, its default, and its validation, done once at construction.
 * Configuration mistakes throw a `TypeError` or `RangeError` naming the option (never a secret's value).
 * The `cookie`, key and store options are checked in `options/cookie.ts`, `options/keys.ts` and
 * `options/stores.ts`, all with the checkers of `options/validate.ts`; this module puts them together.
 *
 * @module
 */
import { attributeString, cookieHeaderBytes, MAX_COOKIES, MAX_COOKIE_LIFETIME, type CookieAttributes } from './cookie/serialize.ts';
import type { CryptoBackend } from './codec/crypto.ts';
import { Flags } from './codec/header.ts';
import type { KeyMaterial, RememberSafety } from './codec/keys.ts';
import { pooledRandomBytes } from './codec/random.ts';
import type { InvalidCookie } from './errors.ts';
import { resolveCookie, type CookieOptions } from './options/cookie.ts';
import { resolveCrypto, resolveKeys, resolveRememberSafety } from './options/keys.ts';
import { resolveRevocation, resolveStorage } from './options/stores.ts';
import { resolveTransport, type ResolvedHeaderTransport, type TransportOption } from './options/transport.ts';
import { describe, flag, list, oneOf, seconds } from './options/validate.ts';
import { isSpillover } from './spillover.ts';
import { resolveConcurrency, type ConcurrencyPolicy, type MergeFunction, type ResolvedConcurrency } from './concurrency.ts';
import type { Revocation, RevocationOptions } from './revocation.ts';
import { resolveModel, type DataModel, type MigrateData, type StandardSchemaV1 } from './schema.ts';
import type { Storage } from './storage/types.ts';

export { luaRestySessionCookie, type CookieOptions } from './options/cookie.ts';
export type { HeaderTransportOptions, TransportOption } from './options/transport.ts';

/** A session property that can be sent as a request or response header (spec 6). */
export type HeaderProperty =
  | 'id'
  | 'audience'
  | 'subject'
  | 'timeout'
  | 'idling-timeout'
  | 'rolling-timeout'
  | 'absolute-timeout';

/** The header each {@link HeaderProperty} is sent as. */
export const HEADER_NAMES: Readonly<Record<HeaderProperty, string>> = {
  id: 'Session-Id',
  audience: 'Session-Audience',
  subject: 'Session-Subject',
  timeout: 'Session-Timeout',
  'idling-timeout': 'Session-Idling-Timeout',
  'rolling-timeout': 'Session-Rolling-Timeout',
  'absolute-timeout': 'Session-Absolute-Timeout',
};

/** What a cookie's MAC can be bound to (spec 2.4). */
export type BindTarget = 'ip' | 'scheme' | 'userAgent';

/** Options of `createSessionManager`. Only `secret` (or `ikm`) is required. */
export interface SessionOptions {
  /** The secret keys are derived from (`ikm = SHA-256(secret)`). Required unless `ikm` is given. */
  secret?: string | undefined;
  /** Older secrets still accepted on open; every save uses `secret`. */
  secretFallbacks?: readonly string[] | undefined;
  /** Raw 32-byte input key material; wins over `secret`. */
  ikm?: Uint8Array | undefined;
  /** Older raw keys still accepted on open (32 bytes each). */
  ikmFallbacks?: readonly Uint8Array[] | undefined;
  /** This application's audience within a shared cookie. Default `'default'`. */
  audience?: string | undefined;
  /** The subject of new sessions. Default: none. */
  subject?: string | undefined;
  /** On save, drop audiences whose subject differs from the current one. Default `false`. */
  enforceSameSubject?: boolean | undefined;
  /**
   * Server-side storage; default: the data lives in the cookie. `spillover(store)` keeps each session in
   * the cookie while it fits in `cookie.maxSize`, and in `store` when it does not.
   */
  storage?: Storage | undefined;
  /** Cookie naming and attributes. */
  cookie?: CookieOptions | undefined;
  /** Seconds of inactivity after which a session ends; 0 = never. Default 900. */
  idlingTimeout?: number | undefined;
  /** Seconds after which a session gets a new id, or ends if not renewed; 0 = never. Default 3600. */
  rollingTimeout?: number | undefined;
  /** Seconds after creation at which a session ends whatever its activity; 0 = never. Default 86400. */
  absoluteTimeout?: number | undefined;
  /** Rolling timeout of the remember cookie. Default 604800 (7 days). */
  rememberRollingTimeout?: number | undefined;
  /** Absolute timeout of the remember cookie. Default 2592000 (30 days). */
  rememberAbsoluteTimeout?: number | undefined;
  /** `refresh()` touches only when this many seconds have passed since the last touch. Default 60. */
  touchThreshold?: number | undefined;
  /** Seconds a replaced server-side record stays readable, for requests in flight. Default 10. */
  staleTtl?: number | undefined;
  /**
   * What a save does when a concurrent request saved the same session since this one opened it:
   * `'last-write-wins'` (default, as lua-resty-session), `'reject'` (a `'CONFLICT'` SessionError, nothing
   * written) or `'merge'` (three-way, with `merge` for attributes both changed). The strict policies need
   * a store with compare-and-set (memory, Redis, PostgreSQL, MySQL/MariaDB, memcached). See the guide's
   * "Concurrent requests".
   */
  concurrency?: ConcurrencyPolicy | undefined;
  /** With `concurrency: 'merge'`: per attribute name, how to merge a value both requests changed. */
  merge?: { readonly [name: string]: MergeFunction<any> } | undefined;
  /** Deflate plaintext longer than this many bytes; 0 = never. Default 1024. */
  compressionThreshold?: number | undefined;
  /** Issue a persistent remember-me cookie. Default `false`. */
  remember?: boolean | undefined;
  /** How hard the remember cookie's key is to derive (PBKDF2 iterations). Default `'medium'`. */
  rememberSafety?: RememberSafety | undefined;
  /** Bind the cookie's MAC to the client address, scheme and/or User-Agent. */
  bind?: readonly BindTarget[] | undefined;
  /** Store records under SHA-256 of the session id. Default `false`. */
  hashStorageKey?: boolean | undefined;
  /** Index metadata under a hash of the subject. Default `false`. */
  hashSubject?: boolean | undefined;
  /** Index server-side sessions by audience and subject, to list and revoke them. Default `false`. */
  storeMetadata?: boolean | undefined;
  /** Properties set as request headers (for proxying) by `start()` and `setHeaders()`. */
  requestHeaders?: readonly HeaderProperty[] | undefined;
  /** Properties set as response headers by `start()`, `save()` and `setHeaders()`. */
  responseHeaders?: readonly HeaderProperty[] | undefined;
  /**
   * A revocation store, so that a destroyed, logged-out or regenerated session cannot be replayed even
   * though its data lives in the cookie; also enables `revokeSubject` without server-side storage.
   */
  revocation?: RevocationOptions | undefined;
  /** Send `Cache-Control: no-store` on responses that set a session cookie. Default `true`. */
  cacheControl?: boolean | undefined;
  /**
   * Where the session travels: `'cookie'` (default), or a request header for clients without cookies,
   * `'header'` (`Authorization: Bearer <token>` in, `Session-Token: <token>` out) or
   * {@link HeaderTransportOptions}. With a header, the request's cookies are never read, and `remember`
   * is refused (docs/guide.md, "Header transport").
   */
  transport?: TransportOption | undefined;
  /** Trust `X-Forwarded-For` / `X-Forwarded-Proto` for the client address and scheme. Default `false`. */
  trustProxy?: boolean | undefined;
  /** The clock, in Unix seconds (may be fractional). Default `Date.now() / 1000`. */
  now?: (() => number) | undefined;
  /**
   * The random source for session ids. Default: the runtime's CSPRNG (`crypto.getRandomValues`), read
   * in 4 KiB blocks (one call per 128 ids; every byte handed out once and zeroed in the pool).
   */
  randomBytes?: ((length: number) => Uint8Array) | undefined;
  /** The crypto backend: `'node'` (node:crypto), `'noble'` (pure JS), or `'auto'` (default: node when available). */
  crypto?: 'auto' | 'node' | 'noble' | CryptoBackend | undefined;
  /** Called when a cookie is present but yields no session. Never receives the cookie value. */
  onInvalid?: ((event: InvalidCookie) => void) | undefined;
  /**
   * Where warnings go (a short secret, an event listener that threw: then the listener's error follows the
   * message). Default `console`.
   */
  logger?: {
    /** Receives one warning, without any secret or cookie value in it (a listener's error may follow). */
    warn(message: string, ...details: unknown[]): void;
  } | undefined;
  /**
   * A Standard Schema v1 validator (zod, valibot, arktype, ...) of this audience's attributes: the data a
   * cookie opens to is validated before the application sees it, and replaced by the schema's output.
   * Data that fails gives a new session, reported to `onInvalid` with the reason `'schema'`. The
   * manager's `Data` type is inferred from it.
   */
  schema?: StandardSchemaV1 | undefined;
  /**
   * The version of the attributes' shape: saved sessions record it (reserved attribute `@version`), and a
   * session saved under another version goes through `migrate` before `schema`. Default 0: none recorded.
   */
  schemaVersion?: number | undefined;
  /**
   * Converts the attributes of a session saved under another `schemaVersion` (0: saved before versions
   * were recorded); may be async. Return the new attributes, or `undefined` to start a new session.
   */
  migrate?: MigrateData | undefined;
}

/** Timeouts, in seconds, 0 = disabled. */
export interface Timeouts {
  idling: number;
  rolling: number;
  absolute: number;
}

/** Validated options: what the session and manager run on. */
export interface ResolvedOptions {
  readonly crypto: CryptoBackend;
  /** Primary first, then fallbacks. */
  readonly keys: readonly KeyMaterial[];
  readonly audience: string;
  readonly subject: string | undefined;
  readonly enforceSameSubject: boolean;
  readonly storage: Storage | undefined;
  /** `storage` is a `spillover` store: each save puts the session in the cookie or in the store. */
  readonly spill: boolean;
  readonly cookieName: string;
  readonly rememberName: string;
  readonly cookieAttributes: string;
  readonly attributes: CookieAttributes;
  /** `cookie.maxSize`: the budget of the session's cookies in the request's Cookie header, bytes. */
  readonly cookieMaxSize: number;
  readonly timeouts: Timeouts;
  readonly rememberTimeouts: Timeouts;
  readonly touchThreshold: number;
  readonly staleTtl: number;
  /** The `concurrency` and `merge` options. */
  readonly concurrency: ResolvedConcurrency;
  readonly compressionThreshold: number;
  readonly remember: boolean;
  readonly rememberSafety: RememberSafety;
  readonly bindFlags: number;
  readonly hashStorageKey: boolean;
  readonly hashSubject: boolean;
  readonly storeMetadata: boolean;
  readonly requestHeaders: readonly HeaderProperty[];
  readonly responseHeaders: readonly HeaderProperty[];
  readonly trustProxy: boolean;
  readonly revocation: Revocation | undefined;
  readonly cacheControl: boolean;
  /** The header transport, or `undefined` for cookies. */
  readonly transport: ResolvedHeaderTransport | undefined;
  readonly now: () => number;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly onInvalid: ((event: InvalidCookie) => void) | undefined;
  readonly logger: { warn(message: string, ...details: unknown[]): void };
  /** The `schema`, `schemaVersion` and `migrate` options, when any is set. */
  readonly model: DataModel | undefined;
}

const HEADER_PROPERTIES = Object.keys(HEADER_NAMES) as HeaderProperty[];
const BIND_FLAGS: Record<BindTarget, number> = { ip: Flags.bindIp, scheme: Flags.bindScheme, userAgent: Flags.bindUserAgent };

/** The header flags of the `bind` option, OR-ed together. */
function resolveBind(options: SessionOptions): number {
  let bindFlags = 0;
  for (const target of list<BindTarget>(options, 'bind')) bindFlags |= BIND_FLAGS[oneOf(target, ['ip', 'scheme', 'userAgent'], 'bind')];
  return bindFlags;
}

/** The `requestHeaders` or `responseHeaders` option, each item checked to be a {@link HeaderProperty}. */
function headerList(options: SessionOptions, name: 'requestHeaders' | 'responseHeaders'): HeaderProperty[] {
  return list<HeaderProperty>(options, name).map((p) => oneOf(p, HEADER_PROPERTIES, name));
}

/** The session and remember cookies' timeouts, with their defaults. */
function resolveTimeouts(options: SessionOptions): Pick<ResolvedOptions, 'timeouts' | 'rememberTimeouts'> {
  return {
    timeouts: {
      // The header's idling offset is 24 bits (spec 1.1).
      idling: seconds(options, 'idlingTimeout', 900, 2 ** 24 - 1),
      rolling: seconds(options, 'rollingTimeout', 3600),
      absolute: seconds(options, 'absoluteTimeout', 86400),
    },
    rememberTimeouts: {
      idling: 0,
      // A persistent cookie lives at most 400 days (RFC 6265bis); so do these timeouts.
      rolling: seconds(options, 'rememberRollingTimeout', 604800, MAX_COOKIE_LIFETIME),
      absolute: seconds(options, 'rememberAbsoluteTimeout', 2592000, MAX_COOKIE_LIFETIME),
    },
  };
}

/** The `transport` option; remember-me needs a second cookie, which a header transport has no place for. */
function resolveHeaderTransport(options: SessionOptions): ResolvedHeaderTransport | undefined {
  const transport = resolveTransport(options.transport, Object.values(HEADER_NAMES).map((n) => n.toLowerCase()));
  if (transport !== undefined && options.remember === true) throw new TypeError('"remember" cannot be true with a header "transport": remember-me needs cookies');
  return transport;
}

/**
 * Validates options and fills in defaults.
 * @param options - what the user passed
 * @returns the resolved options
 * @throws TypeError or RangeError naming the first invalid option
 * @example resolveOptions({ secret: process.env.SESSION_SECRET }).cookieName // '__Host-session'
 */
export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options expected an object, got ${describe(options)}`);
  const logger = options.logger ?? console;
  const crypto = resolveCrypto(options.crypto);
  const keys = resolveKeys(options, crypto, logger);
  const cookie = resolveCookie(options.cookie ?? {});
  const transport = resolveHeaderTransport(options);
  const audience = options.audience ?? 'default';
  if (typeof audience !== 'string' || audience === '') throw new TypeError(`"audience" expected a non-empty string, got ${describe(audience)}`);
  if (options.subject !== undefined && typeof options.subject !== 'string') throw new TypeError(`"subject" expected a string, got ${describe(options.subject)}`);
  const rememberSafety = resolveRememberSafety(options.rememberSafety, logger);
  const bindFlags = resolveBind(options);
  const storage = resolveStorage(options.storage, options.storeMetadata === true);
  const revocation = resolveRevocation(options.revocation, crypto, logger);
  for (const name of ['now', 'randomBytes', 'onInvalid'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`"${name}" expected a function, got ${describe(options[name])}`);
  }
  const randomBytes = options.randomBytes ?? pooledRandomBytes();
  // Keep this order: the checks below run in it, and `manager.options` lists its keys in it.
  return {
    crypto,
    keys,
    audience,
    subject: options.subject,
    enforceSameSubject: flag(options, 'enforceSameSubject', false),
    storage,
    spill: isSpillover(storage),
    cookieName: cookie.name,
    rememberName: cookie.rememberName,
    attributes: cookie.attributes,
    cookieAttributes: attributeString(cookie.attributes),
    // With a header transport the token's own budget applies: what its largest token takes as cookies.
    cookieMaxSize: transport === undefined ? cookie.maxSize : cookieHeaderBytes(cookie.name.length, transport.maxTokenSize, MAX_COOKIES),
    ...resolveTimeouts(options),
    touchThreshold: seconds(options, 'touchThreshold', 60),
    staleTtl: seconds(options, 'staleTtl', 10),
    concurrency: resolveConcurrency(options.concurrency, options.merge, storage, isSpillover(storage)),
    compressionThreshold: seconds(options, 'compressionThreshold', 1024),
    remember: flag(options, 'remember', false),
    rememberSafety,
    bindFlags,
    hashStorageKey: flag(options, 'hashStorageKey', false),
    hashSubject: flag(options, 'hashSubject', false),
    storeMetadata: flag(options, 'storeMetadata', false),
    requestHeaders: headerList(options, 'requestHeaders'),
    responseHeaders: headerList(options, 'responseHeaders'),
    trustProxy: flag(options, 'trustProxy', false),
    revocation,
    cacheControl: flag(options, 'cacheControl', true),
    transport,
    now: options.now ?? (() => Date.now() / 1000),
    randomBytes,
    onInvalid: options.onInvalid,
    logger,
    model: resolveModel(options),
  };
}
