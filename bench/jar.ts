/**
 * The load generator's cookie jar: what a browser does with `Set-Cookie`, reduced to what the bench
 * needs (one host, one path, no expiry dates). Shared by the HTTP benchmark and the smoke test, so the
 * test checks the very replay the benchmark relies on.
 *
 * @module
 */

/** Cookies by name, replayed as one `Cookie` header. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /**
   * Takes one `Set-Cookie` line: keeps `name=value`, or forgets the cookie when the value is empty (an
   * expired chunk, a logout).
   * @returns whether the `Cookie` header changed
   */
  set(line: string): boolean {
    const semicolon = line.indexOf(';');
    const pair = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) return false;
    const name = pair.slice(0, eq);
    if (eq === pair.length - 1) return this.#cookies.delete(name);
    if (this.#cookies.get(name) === pair) return false;
    this.#cookies.set(name, pair);
    return true;
  }

  /** The `Cookie` header value (`a=1; b=2`), `''` when empty. */
  header(): string {
    return [...this.#cookies.values()].join('; ');
  }
}
