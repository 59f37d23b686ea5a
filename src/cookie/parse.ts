/**
 * Reading session cookies from `Cookie` request headers. Unlike a general parser that keeps the first
 * occurrence of a name, this collects every occurrence of the names asked for (security checklist case
 * 14: a tossed parent-domain cookie must not shadow the real one; each candidate is tried), matches names
 * exactly (case 15) and never throws. Values are not percent-decoded: session cookies are base64url.
 *
 * Why not `cookie`'s `parseCookie` (the project's dependency, which writes the attributes; see
 * grammar.ts): it keeps only the first value of a name (jshttp/cookie#18, the first-wins hazard) and
 * percent-decodes values, so a parent domain's cookie sent first would hide the session's own.
 * test/security/cases/decode-path.test.ts ("case 14") and test/cookie/cookie-package.test.ts show it: the
 * session opens from the second `session` cookie, which `parseCookie` never returns.
 *
 * @module
 */

/**
 * Collects the values of the wanted cookie names, in header order.
 * @param header - one `Cookie` header value, or several joined with `'; '`
 * @param wanted - predicate for the names to keep
 * @returns a prototype-less record of name to values
 * @example collectCookies('a=1; session=x; session=y', (n) => n === 'session') // { session: ['x', 'y'] }
 */
export function collectCookies(header: string, wanted: (name: string) => boolean): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  const len = header.length;
  let start = 0;
  while (start < len) {
    let end = header.indexOf(';', start);
    if (end === -1) end = len;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = trimmedSlice(header, start, eq);
      if (wanted(name)) (out[name] ??= []).push(trimmedSlice(header, eq + 1, end));
    }
    start = end + 1;
  }
  return out;
}

/**
 * A fixed list of cookie names (a manager's session and remember cookies and their chunks), prepared once
 * for {@link readCookies}: grouped by length, so a request's cookie names are compared in place and only
 * the values of the names asked for become strings.
 */
export class CookieNameList {
  /** The names, in the order {@link readCookies} indexes its result by. */
  readonly names: readonly string[];
  /** Indexes into `names`, by name length. */
  readonly #byLength: (readonly number[] | undefined)[] = [];
  readonly #index = new Map<string, number>();

  /** @param names - distinct cookie names */
  constructor(names: readonly string[]) {
    this.names = [...names];
    this.names.forEach((name, i) => {
      this.#index.set(name, i);
      ((this.#byLength[name.length] ??= []) as number[]).push(i);
    });
  }

  /** The index of the name spelt by `text[from, to)` after trimming, as `slice().trim()` would read it; -1 when none. */
  find(text: string, from: number, to: number): number {
    while (from < to && text.charCodeAt(from) === 0x20) from++;
    if (from === to) return this.#index.get('') ?? -1;
    // Printable ends: nothing would be trimmed, so the name is exactly these characters.
    if (!printable(text.charCodeAt(from)) || !printable(text.charCodeAt(to - 1))) return this.#index.get(text.slice(from, to).trim()) ?? -1;
    const candidates = this.#byLength[to - from];
    if (candidates !== undefined) for (let k = 0; k < candidates.length; k++) if (text.startsWith(this.names[candidates[k]!]!, from)) return candidates[k]!;
    return -1;
  }
}

/**
 * Reads the values of a fixed list of cookie names from a `Cookie` header: what {@link collectCookies}
 * collects for those names, in header order, by index in the list instead of by name (no string is made
 * for another cookie's name or value).
 * @param header - one `Cookie` header value, or several joined with `'; '`
 * @param list - the names
 * @returns the values of `list.names[i]` at index `i` (`undefined` where it was not sent), or `undefined`
 *   when none of the names was sent
 * @example readCookies('a=1; s=x; s2=y', new CookieNameList(['s', 's2'])) // [['x'], ['y']]
 */
export function readCookies(header: string, list: CookieNameList): (string[] | undefined)[] | undefined {
  let out: (string[] | undefined)[] | undefined;
  const len = header.length;
  let start = 0;
  while (start < len) {
    let end = header.indexOf(';', start);
    if (end === -1) end = len;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const i = list.find(header, start, eq);
      if (i !== -1) ((out ??= new Array<string[] | undefined>(list.names.length))[i] ??= []).push(trimmedSlice(header, eq + 1, end));
    }
    start = end + 1;
  }
  return out;
}

/**
 * `text.slice(from, to).trim()`, making one string instead of two in the usual case: the spaces after a
 * `;` skipped by index, and `trim` called only when an end is not a printable ASCII character (every
 * character `trim` removes is a space, a control character or beyond ASCII, so the result is the same).
 */
function trimmedSlice(text: string, from: number, to: number): string {
  while (from < to && text.charCodeAt(from) === 0x20) from++;
  if (from === to) return '';
  const piece = text.slice(from, to);
  return printable(text.charCodeAt(from)) && printable(text.charCodeAt(to - 1)) ? piece : piece.trim();
}

function printable(code: number): boolean {
  return code > 0x20 && code < 0x7f;
}

/**
 * Removes the named cookies from a `Cookie` header value, keeping the others in order joined by `'; '`.
 * (Not `cookie`'s parse and stringify: they would percent-decode and re-encode the other cookies' values
 * and drop their duplicates; the others are passed on as they came.)
 * @param header - the request's `Cookie` header
 * @param remove - predicate for the names to drop
 * @returns the remaining header, or `undefined` when nothing remains
 * @example withoutCookies('a=1; session=x; b=2', (n) => n === 'session') // 'a=1; b=2'
 */
export function withoutCookies(header: string, remove: (name: string) => boolean): string | undefined {
  const kept: string[] = [];
  for (const part of header.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const name = (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim();
    if (!remove(name)) kept.push(trimmed);
  }
  return kept.length === 0 ? undefined : kept.join('; ');
}
