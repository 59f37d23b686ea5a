/**
 * `httpsession secret`: prints a fresh secret of full strength for the `secret` option (and for
 * lua-resty-session's `secret`).
 *
 * @module
 */
import { base64urlEncode } from '../codec/base64url.ts';
import { ExitCode, UsageError, type CliIo } from './usage.ts';

/**
 * A fresh random secret: 32 bytes from the CSPRNG as base64url (43 characters).
 * @returns the secret
 * @example newSecret() // 'q3X...'
 */
export function newSecret(): string {
  return base64urlEncode(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Runs `httpsession secret`: prints {@link newSecret} and a newline.
 * @param args - the arguments after `secret` (there must be none)
 * @param io - where to write
 * @returns {@link ExitCode}.ok
 * @throws UsageError when arguments are given
 * @example secret([], io) // prints 'q3X...\n'
 */
export function secret(args: readonly string[], io: CliIo): number {
  if (args.length > 0) throw new UsageError('secret takes no arguments');
  io.stdout(`${newSecret()}\n`);
  return ExitCode.ok;
}
