/**
 * Every option of `createSessionManager`, its default, and its validation, done once at construction.
 * Configuration mistakes throw a `TypeError` or `RangeError` naming the option (never a secret's value).
 *
 * @module
 */
import { attributeString, MAX_COOKIE_LIFETIME, type CookieAttributes } from './cookie/serialize.ts';
import { defaultCrypto, nobleCrypto, type CryptoBackend } from './codec/crypto.ts';
import { Flags } from './codec/header.ts';
import { pooledRandomBytes } from './codec/random.ts';
import { ikmFromSecret, keyMaterial, REMEMBER_ITERATIONS, type KeyMaterial, type RememberSafety } from './codec/keys.ts';
import type { InvalidCookie } from './errors.ts';
import { createRevocation, type Revocation, type RevocationOptions } from './revocation.ts';
import type { Storage } from './storage/types.ts';

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

/** Cookie naming and attributes. */
export interface CookieOptions {
  /** Session cookie name. Default `'session'`. */
  name?: string | undefined;
  /** Remember cookie name. Default `'remember'`. */
  rememberName?: string | undefined;
  /**
   * Prepended to both names: `'__Host-'` (Secure, Path=/, no Domain), `'__Secure-'` (Secure), or `''`
   * for none. Default: `'__Host-'`, or `'__Secure-'` when a domain or a path other than `/` is set, or
   * none when `secure` is `false`.
   */
  prefix?: '__Host-' | '__Secure-' | '' | undefined;
  /** Default `'/'`. */
  path?: string | undefined;
  /** Default: none (host-only cookie). */
  domain?: string | undefined;
  /** Default `true`. */
  httpOnly?: boolean | undefined;
  /**
   * Default `true`. `false` is for plain-HTTP development only (or lua-resty-session's defaults, see
   * {@link luaRestySessionCookie}); it also drops the default prefix.
   */
  secure?: boolean | undefined;
  /** Default `'Lax'`; `'Default'` omits the attribute. */
  sameSite?: 'Lax' | 'Strict' | 'None' | 'Default' | undefined;
  /** Chrome's Priority attribute. */
  priority?: 'Low' | 'Medium' | 'High' | undefined;
  /** CHIPS partitioned cookie (needs Secure). */
  partitioned?: boolean | undefined;
}

/**
 * lua-resty-session's (and so OpenResty's) cookie defaults: `session` / `remember`, `Path=/`,
 * `SameSite=Lax`, `HttpOnly`, no `Secure` and no prefix. Use it to share cookies with a Lua service that
 * runs with its defaults; spread and override what your Lua side sets differently (Kong's session plugin,
 * for instance, defaults to `secure: true` and `sameSite: 'Strict'`).
 * @example createSessionManager({ secret, cookie: luaRestySessionCookie })
 */
export const luaRestySessionCookie: Readonly<CookieOptions> = Object.freeze({
  name: 'session',
  rememberName: 'remember',
  prefix: '',
  path: '/',
  sameSite: 'Lax',
  httpOnly: true,
  secure: false,
});

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
  /** Server-side storage; default: the data lives in the cookie. */
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
  /** Where warnings go (a short secret, for instance). Default `console`. */
  logger?: { warn(message: string): void } | undefined;
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
  readonly cookieName: string;
  readonly rememberName: string;
  readonly cookieAttributes: string;
  readonly attributes: CookieAttributes;
  readonly timeouts: Timeouts;
  readonly rememberTimeouts: Timeouts;
  readonly touchThreshold: number;
  readonly staleTtl: number;
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
  readonly now: () => number;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly onInvalid: ((event: InvalidCookie) => void) | undefined;
  readonly logger: { warn(message: string): void };
}

// RFC 9110 token: the grammar of a cookie name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 path-value: any CHAR except CTLs or ";" (and, to be safe, no "," or whitespace).
const PATH = /^\/[\x21-\x2b\x2d-\x3a\x3c-\x7e]*$/;
// A host name: labels of letters, digits and hyphens, optionally with a leading dot.
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const HEADER_PROPERTIES = new Set(Object.keys(HEADER_NAMES));
const BIND_FLAGS: Record<BindTarget, number> = { ip: Flags.bindIp, scheme: Flags.bindScheme, userAgent: Flags.bindUserAgent };
const MAX_TIMEOUT = 2 ** 32 - 1;

function isStorage(value: unknown): value is Storage {
  const s = value as Partial<Storage> | null | undefined;
  return typeof s === 'object' && s !== null && typeof s.get === 'function' && typeof s.set === 'function' && typeof s.delete === 'function';
}

let warnedShortSecret = false;

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return value === null ? 'null' : typeof value;
}

function seconds(options: SessionOptions, name: keyof SessionOptions, fallback: number, max = MAX_TIMEOUT): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`"${name}" expected an integer from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

function list<T>(options: SessionOptions, name: 'ikmFallbacks' | 'secretFallbacks' | 'bind' | 'requestHeaders' | 'responseHeaders'): readonly T[] {
  const value: unknown = options[name] ?? [];
  if (!Array.isArray(value)) throw new TypeError(`"${name}" expected an array, got ${describe(value)}`);
  return value as T[];
}

function flag(options: object, name: string, fallback: boolean, owner = ''): boolean {
  const value = (options as Record<string, unknown>)[name] ?? fallback;
  if (typeof value !== 'boolean') throw new TypeError(`"${owner}${name}" expected a boolean, got ${describe(value)}`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`"${name}" expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function resolveCrypto(choice: SessionOptions['crypto']): CryptoBackend {
  if (choice === undefined || choice === 'auto') return defaultCrypto();
  if (choice === 'noble') return nobleCrypto;
  if (choice === 'node') {
    const backend = defaultCrypto();
    if (backend.name !== 'node') throw new TypeError('"crypto" is \'node\' but node:crypto is not available in this runtime');
    return backend;
  }
  if (typeof choice === 'object' && choice !== null && typeof choice.encrypt === 'function') return choice;
  throw new TypeError(`"crypto" expected 'auto', 'node', 'noble' or a CryptoBackend, got ${describe(choice)}`);
}

function resolveKeys(options: SessionOptions, crypto: CryptoBackend, logger: { warn(m: string): void }): KeyMaterial[] {
  const raw: Uint8Array[] = [];
  if (options.ikm !== undefined) {
    if (!(options.ikm instanceof Uint8Array) || options.ikm.length !== 32) {
      throw new RangeError(`"ikm" expected 32 bytes, got ${describe(options.ikm)}`);
    }
    raw.push(options.ikm);
  } else if (options.secret !== undefined && options.secret !== null) {
    if (typeof options.secret !== 'string' || options.secret.length === 0) {
      throw new TypeError(`"secret" expected a non-empty string, got ${describe(options.secret)}`);
    }
    if (options.secret.length < 32 && !warnedShortSecret) {
      warnedShortSecret = true;
      logger.warn(`httpsession: "secret" is ${options.secret.length} characters; use at least 32 random characters (npx httpsession secret)`);
    }
    raw.push(ikmFromSecret(crypto, options.secret));
  } else {
    throw new TypeError('"secret" is required (or "ikm"): without it sessions cannot survive a restart or be shared between processes');
  }
  for (const [i, ikm] of list<Uint8Array>(options, 'ikmFallbacks').entries()) {
    if (!(ikm instanceof Uint8Array) || ikm.length !== 32) {
      throw new RangeError(`"ikmFallbacks[${i}]" expected 32 bytes, got ${describe(ikm)}`);
    }
    raw.push(ikm);
  }
  for (const [i, secret] of list<string>(options, 'secretFallbacks').entries()) {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new TypeError(`"secretFallbacks[${i}]" expected a non-empty string, got ${describe(secret)}`);
    }
    raw.push(ikmFromSecret(crypto, secret));
  }
  return raw.map((ikm) => keyMaterial(crypto, ikm));
}

function resolveCookie(c: CookieOptions): { name: string; rememberName: string; attributes: CookieAttributes } {
  if (typeof c !== 'object' || c === null) throw new TypeError(`"cookie" expected an object, got ${describe(c)}`);
  const explicitSecure = c.secure === undefined ? undefined : flag(c, 'secure', true, 'cookie.');
  const names = { name: c.name ?? 'session', rememberName: c.rememberName ?? 'remember' };
  for (const [key, value] of Object.entries(names)) {
    if (typeof value !== 'string' || !TOKEN.test(value) || value.length > 64) {
      throw new TypeError(`"cookie.${key}" expected a cookie name token of at most 64 characters (no spaces, ';', '=' or ','), got ${JSON.stringify(value)}`);
    }
  }
  if (names.name === names.rememberName) throw new TypeError('"cookie.rememberName" must differ from "cookie.name"');
  const path = c.path ?? '/';
  if (typeof path !== 'string' || !PATH.test(path) || path.length > 1024) {
    throw new TypeError(`"cookie.path" expected a path starting with '/' without ';', ',', whitespace or control characters, got ${JSON.stringify(path)}`);
  }
  const domain = c.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN.test(domain) || domain.length > 253)) {
    throw new TypeError(`"cookie.domain" expected a host name, got ${JSON.stringify(domain)}`);
  }
  const sameSite = oneOf(c.sameSite ?? 'Lax', ['Lax', 'Strict', 'None', 'Default'], 'cookie.sameSite');
  const priority = c.priority === undefined ? undefined : oneOf(c.priority, ['Low', 'Medium', 'High'], 'cookie.priority');
  const partitioned = flag(c, 'partitioned', false, 'cookie.');
  const httpOnly = flag(c, 'httpOnly', true, 'cookie.');
  // Secure defaults (ASVS 5.0 3.3.1): a Secure cookie with the __Host- prefix where the path and domain
  // allow it, else __Secure-. `secure: false` (plain-HTTP development) and `prefix: ''` opt out.
  const prefix =
    c.prefix !== undefined
      ? oneOf(c.prefix, ['__Host-', '__Secure-', ''], 'cookie.prefix')
      : explicitSecure === false
        ? ''
        : domain === undefined && path === '/'
          ? '__Host-'
          : '__Secure-';
  let secure = explicitSecure ?? true;
  if (prefix !== '' && !secure) throw new TypeError(`"cookie.secure" cannot be false with the ${prefix} prefix`);
  if (prefix === '__Host-') {
    if (domain !== undefined) throw new TypeError('"cookie.domain" must not be set with the __Host- prefix');
    if (path !== '/') throw new TypeError(`"cookie.path" must be '/' with the __Host- prefix, got ${JSON.stringify(path)}`);
  }
  if (sameSite === 'None' && !secure) throw new TypeError('"cookie.sameSite" None requires "cookie.secure": true');
  if (partitioned && !secure) throw new TypeError('"cookie.partitioned" requires "cookie.secure": true');
  secure ||= prefix !== '';
  return {
    name: prefix + names.name,
    rememberName: prefix + names.rememberName,
    attributes: { path, domain, sameSite, priority, partitioned, secure, httpOnly },
  };
}

/**
 * Validates options and fills in defaults.
 * @param options - what the user passed
 * @returns the resolved options
 * @throws TypeError or RangeError naming the first invalid option
 */
export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`options expected an object, got ${describe(options)}`);
  const logger = options.logger ?? console;
  const crypto = resolveCrypto(options.crypto);
  const keys = resolveKeys(options, crypto, logger);
  const cookie = resolveCookie(options.cookie ?? {});
  const audience = options.audience ?? 'default';
  if (typeof audience !== 'string' || audience === '') throw new TypeError(`"audience" expected a non-empty string, got ${describe(audience)}`);
  if (options.subject !== undefined && typeof options.subject !== 'string') throw new TypeError(`"subject" expected a string, got ${describe(options.subject)}`);
  const rememberSafety = oneOf(options.rememberSafety ?? 'medium', Object.keys(REMEMBER_ITERATIONS) as RememberSafety[], 'rememberSafety');
  if (rememberSafety === 'none') {
    logger.warn("httpsession: rememberSafety 'none' derives remember cookies' keys like session cookies' keys, so an expired session cookie can pass for a remember cookie; use 'low' or higher");
  }
  let bindFlags = 0;
  for (const target of list<BindTarget>(options, 'bind')) bindFlags |= BIND_FLAGS[oneOf(target, ['ip', 'scheme', 'userAgent'], 'bind')];
  const headerList = (name: 'requestHeaders' | 'responseHeaders'): HeaderProperty[] =>
    list<HeaderProperty>(options, name).map((p) => oneOf(p, [...HEADER_PROPERTIES] as HeaderProperty[], name));
  const storage = options.storage;
  if (storage !== undefined && !isStorage(storage)) {
    throw new TypeError(`"storage" expected a Storage (an object with get, set and delete), got ${describe(storage)}`);
  }
  let revocation: Revocation | undefined;
  if (options.revocation !== undefined) {
    const r = options.revocation;
    if (typeof r !== 'object' || r === null || !isStorage(r.storage)) {
      throw new TypeError(`"revocation.storage" expected a Storage (an object with get, set and delete), got ${describe(r?.storage)}`);
    }
    if (r.failMode !== undefined) oneOf(r.failMode, ['closed', 'open'], 'revocation.failMode');
    revocation = createRevocation(crypto, r, (m) => logger.warn(m));
  }
  for (const name of ['now', 'randomBytes', 'onInvalid'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`"${name}" expected a function, got ${describe(options[name])}`);
  }
  const randomBytes = options.randomBytes ?? pooledRandomBytes();
  return {
    crypto,
    keys,
    audience,
    subject: options.subject,
    enforceSameSubject: flag(options, 'enforceSameSubject', false),
    storage,
    cookieName: cookie.name,
    rememberName: cookie.rememberName,
    attributes: cookie.attributes,
    cookieAttributes: attributeString(cookie.attributes),
    timeouts: {
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
    touchThreshold: seconds(options, 'touchThreshold', 60),
    staleTtl: seconds(options, 'staleTtl', 10),
    compressionThreshold: seconds(options, 'compressionThreshold', 1024),
    remember: flag(options, 'remember', false),
    rememberSafety,
    bindFlags,
    hashStorageKey: flag(options, 'hashStorageKey', false),
    hashSubject: flag(options, 'hashSubject', false),
    storeMetadata: flag(options, 'storeMetadata', false),
    requestHeaders: headerList('requestHeaders'),
    responseHeaders: headerList('responseHeaders'),
    trustProxy: flag(options, 'trustProxy', false),
    revocation,
    cacheControl: flag(options, 'cacheControl', true),
    now: options.now ?? (() => Date.now() / 1000),
    randomBytes,
    onInvalid: options.onInvalid,
    logger,
  };
}
