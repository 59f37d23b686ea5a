/**
 * The `httpsession` command-line tool.
 *
 * - `httpsession inspect [options] COOKIE` decodes a session (or remember) cookie the way a server
 *   configured with the same options would open it: it parses the 82-byte header, authenticates it
 *   against every key given (`--secret` / `--ikm-hex`, in command-line order: the first is the current
 *   key, the rest are fallbacks), decrypts the payload, checks the timeouts at `--now`, and prints one
 *   JSON object: the verdict (`valid`, `reason`, `detail` as lua-resty-session words it), the header
 *   fields, which key authenticated it, every audience's data and the time left on each timeout.
 *   Exit code 0 when the cookie is valid, 1 when it is not, 2 on a usage error.
 * - `httpsession secret` prints a fresh random secret (32 random bytes as base64url).
 * - `httpsession help` (or `--help`) prints the usage.
 *
 * Everything goes through {@link main}, which takes the arguments and two writers and returns the exit
 * code, so the tool runs in-process in tests; `bin/httpsession.js` wires it to `process`. Neither the
 * secrets nor the key material are ever printed.
 *
 * This file dispatches; the commands live in `cli/`: `usage.ts` (exit codes, help text, usage errors),
 * `args.ts` and `options.ts` (inspect's flags and the session options they make), `cookies.ts` (finding
 * the cookie in the argument), `inspect.ts`, `report.ts` (the JSON it prints) and `secret.ts`.
 *
 * @module
 */
import { inspect } from './cli/inspect.ts';
import { secret } from './cli/secret.ts';
import { ExitCode, quoteFlag, USAGE, UsageError, type CliIo } from './cli/usage.ts';

export type { InspectHeader, InspectRemaining, InspectReport } from './cli/report.ts';
export { newSecret } from './cli/secret.ts';
export { ExitCode, USAGE, type CliIo } from './cli/usage.ts';

/**
 * Runs the command line.
 * @param argv - the arguments after the program name (`process.argv.slice(2)`)
 * @param io - where to write standard output and standard error
 * @returns the exit code: 0 valid / success, 1 cookie not valid, 2 usage error
 * @example process.exitCode = await main(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inspect':
        return await inspect(rest, io);
      case 'secret':
        return secret(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return ExitCode.ok;
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option ${quoteFlag(command)}` : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`httpsession: ${err.message}\n\n${USAGE}`);
    return ExitCode.usage;
  }
}
