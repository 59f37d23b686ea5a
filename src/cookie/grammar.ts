/**
 * What the configuration puts into a Set-Cookie line (the cookie names, the Domain and Path values),
 * checked and written by jshttp's `cookie` (v1): its serializer refuses a name, Domain or Path outside
 * RFC 6265's grammar, the guard against attribute injection (CVE-2024-47764: a name or path carrying
 * `; Max-Age=...` or a CR LF). It runs once per manager, at construction: the attribute suffix it writes
 * is kept, and a save only concatenates `name=value` and that suffix (`cookie`'s serializer re-checks
 * every argument on every call, which costs more than the rest of a Set-Cookie line; see the note in
 * docs/security.md, "Cookie serialization").
 *
 * The values a session writes are its own base64url text, which is cookie-octets by construction, so they
 * are not run through it on the hot path; test/cookie/cookie-package.test.ts parses every kind of line the
 * session writes back with `cookie`'s `parseSetCookie`.
 *
 * @module
 */
import { stringifySetCookie, type SetCookie } from 'cookie';

// A stand-in name for serializing attributes alone; it is sliced off the result.
const PROBE = 'n';

/** Whether `cookie` serializes a Set-Cookie line of these fields without refusing any of them. */
function serializes(fields: SetCookie): boolean {
  try {
    stringifySetCookie(fields);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `cookie` accepts a cookie name (RFC 6265 `cookie-name`; `cookie` v1 admits any visible ASCII but
 * `;` and `=`, so the options add the stricter RFC 9110 token rule on top).
 * @param name - a cookie name from the configuration
 * @returns `false` for a name that would break the line: empty, with `;`, `=`, whitespace or a control character
 * @example isCookieName('a; Max-Age=9') // false
 */
export function isCookieName(name: string): boolean {
  return name !== '' && serializes({ name, value: '' });
}

/**
 * Whether `cookie` accepts a Domain value (RFC 1034 labels, an optional leading dot).
 * @param domain - a host name from the configuration
 * @returns `false` for anything else, the empty string included
 * @example isDomainValue('example.com; Secure') // false
 */
export function isDomainValue(domain: string): boolean {
  return domain !== '' && serializes({ name: PROBE, value: '', domain });
}

/**
 * Whether `cookie` accepts a Path value (any CHAR but controls and `;`; the options also refuse `,` and
 * whitespace, and require a leading `/`).
 * @param path - a path from the configuration
 * @returns `false` for a path that could end the attribute or the line
 * @example isPathValue('/x\r\nSet-Cookie: a=1') // false
 */
export function isPathValue(path: string): boolean {
  return path !== '' && serializes({ name: PROBE, value: '', path });
}

/**
 * The `; Domain=...; Path=...` part of the attribute suffix, as `cookie` serializes it: it writes Domain
 * before Path, as lua-resty-session does, so its output is the start of lua-resty-session's attribute
 * order (the rest of the suffix is written after it; see `attributeString`).
 * @param domain - the Domain value, or `undefined` for a host-only cookie
 * @param path - the Path value
 * @returns the attributes, each preceded by `'; '`
 * @throws TypeError (from `cookie`) when either value is outside its grammar: the options check them first
 * @example scopeAttributes('example.com', '/') // '; Domain=example.com; Path=/'
 */
export function scopeAttributes(domain: string | undefined, path: string): string {
  const line = stringifySetCookie(domain === undefined ? { name: PROBE, value: '', path } : { name: PROBE, value: '', domain, path });
  return line.slice(PROBE.length + 1);
}
