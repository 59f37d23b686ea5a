/**
 * The key options: the crypto backend, the primary `secret` or `ikm` with their fallbacks (the first key
 * seals, any key opens), and `rememberSafety`, how hard the remember cookie's key is to derive.
 *
 * @module
 */
import { defaultCrypto, nobleCrypto, type CryptoBackend } from '../codec/crypto.ts';
import { ikmFromSecret, keyMaterial, REMEMBER_ITERATIONS, type KeyMaterial, type RememberSafety } from '../codec/keys.ts';
import type { ResolvedOptions, SessionOptions } from '../options.ts';
import { describe, list, oneOf } from './validate.ts';

type Logger = ResolvedOptions['logger'];

// Once per process: a manager per request (or per test) would otherwise repeat it endlessly.
let warnedShortSecret = false;

/**
 * Picks the crypto backend.
 * @param choice - the `crypto` option
 * @returns node:crypto for `'auto'` (when the runtime has it) and `'node'`, the pure-JS backend for
 *   `'noble'`, or the caller's own backend
 * @throws TypeError when `'node'` is asked for but not available, or the value is not a choice or a backend
 * @example resolveCrypto('noble').name // 'noble'
 */
export function resolveCrypto(choice: SessionOptions['crypto']): CryptoBackend {
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

/** The primary input key material: `ikm` as given, else SHA-256 of `secret` (which warns when short). */
function primaryIkm(options: SessionOptions, crypto: CryptoBackend, logger: Logger): Uint8Array {
  if (options.ikm !== undefined) {
    if (!(options.ikm instanceof Uint8Array) || options.ikm.length !== 32) {
      throw new RangeError(`"ikm" expected 32 bytes, got ${describe(options.ikm)}`);
    }
    return options.ikm;
  }
  if (options.secret !== undefined && options.secret !== null) {
    if (typeof options.secret !== 'string' || options.secret.length === 0) {
      throw new TypeError(`"secret" expected a non-empty string, got ${describe(options.secret)}`);
    }
    if (options.secret.length < 32 && !warnedShortSecret) {
      warnedShortSecret = true;
      logger.warn(`httpsession: "secret" is ${options.secret.length} characters; use at least 32 random characters (npx httpsession secret)`);
    }
    return ikmFromSecret(crypto, options.secret);
  }
  throw new TypeError('"secret" is required (or "ikm"): without it sessions cannot survive a restart or be shared between processes');
}

/**
 * Derives the key material of every key the options give.
 * @param options - the user's options: `ikm` or `secret`, `ikmFallbacks`, `secretFallbacks`
 * @param crypto - the backend to derive with
 * @param logger - where the short-secret warning goes
 * @returns the primary key first (it seals), then the raw fallbacks, then the secret fallbacks
 * @throws TypeError or RangeError naming the missing or first invalid key option (never its value)
 */
export function resolveKeys(options: SessionOptions, crypto: CryptoBackend, logger: Logger): KeyMaterial[] {
  const raw: Uint8Array[] = [primaryIkm(options, crypto, logger)];
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

/**
 * Checks `rememberSafety`, warning about `'none'`.
 * @param value - the `rememberSafety` option
 * @param logger - where the warning goes
 * @returns the safety level, `'medium'` by default
 * @throws TypeError when the value is not a level of {@link REMEMBER_ITERATIONS}
 */
export function resolveRememberSafety(value: RememberSafety | undefined, logger: Logger): RememberSafety {
  const rememberSafety = oneOf(value ?? 'medium', Object.keys(REMEMBER_ITERATIONS) as RememberSafety[], 'rememberSafety');
  if (rememberSafety === 'none') {
    logger.warn("httpsession: rememberSafety 'none' derives remember cookies' keys like session cookies' keys, so an expired session cookie can pass for a remember cookie; use 'low' or higher");
  }
  return rememberSafety;
}
