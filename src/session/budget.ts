/**
 * The size budget of a session's cookies (`cookie.maxSize`): what they add to the `Cookie` header the
 * browser sends on every request, measured before a save writes anything and when a request arrives.
 *
 * Front ends refuse a request whose `Cookie` line is over their limit (nginx and Apache: 8 KiB by default)
 * before the application sees it, so an oversized session would lock its user out for good; the budget
 * keeps every session well under that (docs/cookie-size.md).
 *
 * @module
 */
import { SessionTooLargeError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { CookieLine } from './lines.ts';

/** What the `; ` between two cookies of a `Cookie` header adds. */
const SEPARATOR = 2;

/**
 * Bytes that Set-Cookie lines add to the `Cookie` header once the browser sends them back: each line's
 * `name=value` (the line up to its first `;`, where the attributes start), and `; ` between them.
 * @param lines - the lines of one or more cookies
 * @returns the byte count (0 for no lines)
 */
export function linesBytes(lines: readonly CookieLine[]): number {
  let total = 0;
  for (const [, line] of lines) {
    const end = line.indexOf(';');
    total += (end === -1 ? line.length : end) + SEPARATOR;
  }
  return lines.length === 0 ? 0 : total - SEPARATOR;
}

/**
 * Checks that what a save would write fits in the budget: the session cookie's lines and, when it is
 * re-issued, the remember cookie's (the browser sends both on every request).
 * @param o - the manager's options
 * @param session - the session cookie's lines
 * @param remember - the remember cookie's lines, when this save writes one
 * @throws SessionTooLargeError (`'SESSION_TOO_LARGE'`) with the size and the budget when it does not fit
 */
export function assertWithinBudget(o: ResolvedOptions, session: readonly CookieLine[], remember: readonly CookieLine[] | undefined): void {
  const size = linesBytes(session) + (remember === undefined || remember.length === 0 ? 0 : SEPARATOR + linesBytes(remember));
  if (size > o.cookieMaxSize) {
    throw new SessionTooLargeError(
      `the session's cookies would add ${size} bytes to the Cookie header, over the "cookie.maxSize" budget of ${o.cookieMaxSize}; store less, raise the budget, or use server-side or spillover storage`,
      size,
      o.cookieMaxSize,
    );
  }
}

/**
 * Bytes the session's cookies take in a request's `Cookie` header: every value sent under one of the
 * session's or remember cookie's chunk names (duplicates included), with its name, `=` and separator.
 * @param values - the request's values of `names[i]` at index `i`, as the manager reads them (`readCookies`)
 * @param names - the chunk names counted (`session`, `session2`, ..., `remember`, ...)
 * @returns the byte count (0 when none is present)
 */
export function requestCookiesBytes(values: readonly (readonly string[] | undefined)[] | undefined, names: readonly string[]): number {
  if (values === undefined) return 0;
  let total = 0;
  for (let i = 0; i < names.length; i++) {
    const sent = values[i];
    if (sent === undefined) continue;
    for (const value of sent) total += names[i]!.length + 1 + value.length + SEPARATOR;
  }
  return total === 0 ? 0 : total - SEPARATOR;
}
