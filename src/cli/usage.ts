/**
 * What the `httpsession` command promises its caller: where it writes, its exit codes, its usage text,
 * and the usage error that ends a run with that text (see docs/cli.md).
 *
 * @module
 */

/** Where the command writes: standard output (the JSON result, a secret, help) and standard error. */
export interface CliIo {
  /** Receives the result; each call is a complete chunk of text. */
  readonly stdout: (s: string) => void;
  /** Receives usage errors, notes and warnings. */
  readonly stderr: (s: string) => void;
}

/** Exit codes of the command (what `main` returns). */
export const ExitCode = {
  /** The cookie is valid (or the command succeeded). */
  ok: 0,
  /** The cookie is not valid. */
  invalid: 1,
  /** A usage error: unknown flag, missing or bad argument. */
  usage: 2,
} as const;

/** The usage text printed by `httpsession help` and after a usage error. */
export const USAGE = `Usage:
  httpsession inspect [options] COOKIE   decode, authenticate and check a session cookie
  httpsession secret                     print a fresh random secret (32 bytes, base64url)
  httpsession help                       print this help

COOKIE is a cookie value, a whole Cookie header value ("Cookie: session=...; session2=..."), or
a Set-Cookie line ("Set-Cookie: session=...; Path=/"). In a header the cookie is looked for as
session (lua-resty-session's name), __Host-session or __Secure-session (httpsession's secure
defaults); with --remember as remember, __Host-remember or __Secure-remember. --cookie-name gives
any other name; without it, a header's only other cookie holding a session cookie is inspected.

Options of inspect:
  --secret S              a secret; repeat for fallbacks (the first given is the current key)
  --ikm-hex H             raw key material, 64 hex characters; repeatable like --secret
  --now UNIX              the time to check the timeouts at, Unix seconds (default: now)
  --audience A            whose per-session timeouts apply (default: default)
  --cookie-name NAME      the cookie to read from a Cookie header, prefix included
                          (default: session, __Host-session or __Secure-session; see above)
  --remember              COOKIE is a remember cookie
  --remember-safety L     none | low | medium | high | very-high (default: medium); any case,
                          and lua-resty-session's spellings ("Very High")
  --bind-ip IP            the client address the cookie may be bound to
  --bind-scheme S         the scheme (http or https) the cookie may be bound to
  --bind-user-agent UA    the User-Agent the cookie may be bound to
  --idling-timeout N      seconds, 0 = off (default 900; not for --remember)
  --rolling-timeout N     seconds, 0 = off (default 3600; 604800 with --remember)
  --absolute-timeout N    seconds, 0 = off (default 86400; 2592000 with --remember)
  --storage               the cookie is a server-side storage header: check the header only
  -h, --help              print this help

Exit codes: 0 valid, 1 not valid, 2 usage error.
`;

/**
 * A mistake on the command line. `main` prints `httpsession: <message>` and {@link USAGE} to
 * standard error and exits with {@link ExitCode}.usage; any other error is a bug. The message must never
 * hold a secret, a key or a cookie value.
 */
export class UsageError extends Error {}

/**
 * How a usage error names a flag the user typed: quoted, without its value.
 * @param arg - the argument as typed (`--flag` or `--flag=value`)
 * @returns the flag's name in single quotes
 * @example quoteFlag('--secret=hunter2') // "'--secret'"
 */
export function quoteFlag(arg: string): string {
  // Only the option's name: `--secret=value` must not echo the value.
  const eq = arg.indexOf('=');
  return `'${eq === -1 ? arg : arg.slice(0, eq)}'`;
}
