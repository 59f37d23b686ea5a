/**
 * The `cookie` option: the names and attributes session cookies are written with, the `__Host-` and
 * `__Secure-` prefix rules (RFC 6265bis 4.1.3), and the {@link luaRestySessionCookie} preset.
 *
 * @module
 */
import { isCookieName, isDomainValue, isPathValue } from '../cookie/grammar.ts';
import { chunkName, MAX_COOKIES, MAX_COOKIES_SIZE, type CookieAttributes } from '../cookie/serialize.ts';
import { describe, flag, oneOf } from './validate.ts';

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
  /**
   * The budget, in bytes, of what the session's cookies add to the request's `Cookie` header: every
   * chunk's `name=value`, the remember cookie's, and the `; ` between them. A save over it writes nothing
   * and rejects with `SESSION_TOO_LARGE` (or, with `spillover` storage, moves the session to the store);
   * a request arriving over it gets those cookies expired. From 1024 to 36864. Default 4096: half of the
   * 8 KiB that nginx and Apache allow for the whole `Cookie` line by default, leaving the other half to
   * the application's other cookies (see docs/cookie-size.md).
   */
  maxSize?: number | undefined;
}

/** Default of `cookie.maxSize`: half of an 8 KiB front end's header line (docs/cookie-size.md). */
export const DEFAULT_COOKIE_MAX_SIZE = 4096;
/** Smallest `cookie.maxSize`: room for the session and remember cookies of an empty session. */
export const MIN_COOKIE_MAX_SIZE = 1024;

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

/** The validated `cookie` option: the full names (prefix included) and the attributes. */
export interface ResolvedCookie {
  readonly name: string;
  readonly rememberName: string;
  readonly attributes: CookieAttributes;
  /** `cookie.maxSize`. */
  readonly maxSize: number;
}

type Prefix = NonNullable<CookieOptions['prefix']>;

// The names, Domain and Path are checked by `cookie` (RFC 6265, the CVE-2024-47764 guard; see
// cookie/grammar.ts), and by two stricter rules of ours on top, since `cookie` v1 admits more:
// RFC 9110 token: the grammar of a cookie name (`cookie` also admits `"(),/:<>?@[\]{}`).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A path starts with "/" and has no "," or whitespace (`cookie` admits both), as proxies may fold or split
// Set-Cookie lines on them.
const PATH = /^\/[\x21-\x2b\x2d-\x7e]*$/;

/** Both cookie names, without the prefix, checked to be distinct tokens. */
function cookieNames(c: CookieOptions): { name: string; rememberName: string } {
  const names = { name: c.name ?? 'session', rememberName: c.rememberName ?? 'remember' };
  for (const [key, value] of Object.entries(names)) {
    if (typeof value !== 'string' || !TOKEN.test(value) || !isCookieName(value) || value.length > 64) {
      throw new TypeError(`"cookie.${key}" expected a cookie name token of at most 64 characters (no spaces, ';', '=' or ','), got ${JSON.stringify(value)}`);
    }
  }
  if (names.name === names.rememberName) throw new TypeError('"cookie.rememberName" must differ from "cookie.name"');
  // A chunk of one cookie ("session2") must not be the other cookie's name: each request cookie is one of ours only once.
  const chunkOf = (base: string, name: string): boolean => Array.from({ length: MAX_COOKIES - 1 }, (_, i) => chunkName(base, i + 2)).includes(name);
  if (chunkOf(names.name, names.rememberName) || chunkOf(names.rememberName, names.name)) {
    throw new TypeError(`"cookie.rememberName" and "cookie.name" must not be a chunk name of each other (a name followed by a digit 2 to 9), got ${JSON.stringify(names.name)} and ${JSON.stringify(names.rememberName)}`);
  }
  return names;
}

/** The Path and Domain attributes, checked so that neither can smuggle another attribute in. */
function cookieScope(c: CookieOptions): { path: string; domain: string | undefined } {
  const path = c.path ?? '/';
  if (typeof path !== 'string' || !PATH.test(path) || !isPathValue(path) || path.length > 1024) {
    throw new TypeError(`"cookie.path" expected a path starting with '/' without ';', ',', whitespace or control characters, got ${JSON.stringify(path)}`);
  }
  const domain = c.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !isDomainValue(domain) || domain.length > 253)) {
    throw new TypeError(`"cookie.domain" expected a host name, got ${JSON.stringify(domain)}`);
  }
  return { path, domain };
}

/**
 * The name prefix: the one asked for, else the strongest the other attributes allow. Secure defaults
 * (ASVS 5.0 3.3.1): a Secure cookie with the __Host- prefix where the path and domain allow it, else
 * __Secure-. `secure: false` (plain-HTTP development) and `prefix: ''` opt out.
 */
function cookiePrefix(c: CookieOptions, explicitSecure: boolean | undefined, path: string, domain: string | undefined): Prefix {
  if (c.prefix !== undefined) return oneOf(c.prefix, ['__Host-', '__Secure-', ''], 'cookie.prefix');
  if (explicitSecure === false) return '';
  return domain === undefined && path === '/' ? '__Host-' : '__Secure-';
}

/**
 * Validates the `cookie` option and fills in its defaults.
 * @param c - the user's `cookie` option (`{}` when not set)
 * @returns the prefixed names and the attributes
 * @throws TypeError naming the first invalid `cookie.*` option, or a combination the prefix rules forbid
 * @example resolveCookie({ path: '/app' }).name // '__Secure-session'
 */
export function resolveCookie(c: CookieOptions): ResolvedCookie {
  if (typeof c !== 'object' || c === null) throw new TypeError(`"cookie" expected an object, got ${describe(c)}`);
  const explicitSecure = c.secure === undefined ? undefined : flag(c, 'secure', true, 'cookie.');
  const names = cookieNames(c);
  const { path, domain } = cookieScope(c);
  const sameSite = oneOf(c.sameSite ?? 'Lax', ['Lax', 'Strict', 'None', 'Default'], 'cookie.sameSite');
  const priority = c.priority === undefined ? undefined : oneOf(c.priority, ['Low', 'Medium', 'High'], 'cookie.priority');
  const partitioned = flag(c, 'partitioned', false, 'cookie.');
  const httpOnly = flag(c, 'httpOnly', true, 'cookie.');
  const prefix = cookiePrefix(c, explicitSecure, path, domain);
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
    maxSize: cookieMaxSize(c.maxSize),
  };
}

/** The `cookie.maxSize` budget, checked to be a whole number of bytes from 1024 to 36864 (nine full cookies). */
function cookieMaxSize(value: unknown): number {
  const size = value ?? DEFAULT_COOKIE_MAX_SIZE;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_COOKIE_MAX_SIZE || size > MAX_COOKIES_SIZE) {
    throw new RangeError(`"cookie.maxSize" expected an integer from ${MIN_COOKIE_MAX_SIZE} to ${MAX_COOKIES_SIZE}, got ${typeof size === 'number' ? String(size) : describe(size)}`);
  }
  return size;
}
