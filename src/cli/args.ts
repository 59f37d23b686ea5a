/**
 * The command line of `httpsession inspect`: its flags, each checked with a usage error that names the
 * flag and never repeats a secret or key, and what they add up to (docs/cli.md, the options table).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { defaultCrypto } from '../codec/crypto.ts';
import { ikmFromSecret, REMEMBER_ITERATIONS, type RememberSafety } from '../codec/keys.ts';
import type { ResolvedOptions } from '../options.ts';
import { optionsResolver, type InspectSettings } from './options.ts';
import { quoteFlag, UsageError, type CliIo } from './usage.ts';

const INSPECT_OPTIONS = {
  secret: { type: 'string', multiple: true },
  'ikm-hex': { type: 'string', multiple: true },
  now: { type: 'string' },
  audience: { type: 'string' },
  'cookie-name': { type: 'string' },
  remember: { type: 'boolean' },
  'remember-safety': { type: 'string' },
  'bind-ip': { type: 'string' },
  'bind-scheme': { type: 'string' },
  'bind-user-agent': { type: 'string' },
  'idling-timeout': { type: 'string' },
  'rolling-timeout': { type: 'string' },
  'absolute-timeout': { type: 'string' },
  storage: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type TimeoutFlag = 'idling-timeout' | 'rolling-timeout' | 'absolute-timeout';

// RFC 9110 token: the grammar of a cookie name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What `httpsession inspect` was asked to do. */
export interface ParsedInspect {
  readonly cookie: string;
  readonly kind: 'session' | 'remember';
  /**
   * The names to look for in a Cookie header: `--cookie-name`, or else the default name bare and with
   * each prefix (`session`, `__Host-session`, `__Secure-session`). A bare value is read as the first.
   */
  readonly cookieNames: readonly string[];
  /** Whether `--cookie-name` was given (else the names are the defaults, and a header's only other session cookie may be taken). */
  readonly cookieNameGiven: boolean;
  /** The options to read a cookie of that (full) name with: the reader takes the chunk layout from its length. */
  readonly optionsFor: (cookieName: string) => ResolvedOptions;
  readonly storage: boolean;
  readonly now: number;
  readonly bind: { readonly ip: string | undefined; readonly scheme: string | undefined; readonly userAgent: string | undefined };
}

/**
 * Reads the arguments of `httpsession inspect`. The checks run in a fixed order, so that the first
 * mistake on the line is the one reported.
 * @param args - the arguments after `inspect`
 * @param io - where warnings about the options go
 * @returns what to do, or `'help'` for `--help`
 * @throws UsageError on any mistake: unknown flag, no COOKIE or several, no key, a bad value
 * @example parseInspect(['--secret', secret, 'session=AQAA...'], io).cookieNames // ['session', '__Host-session', '__Secure-session']
 */
export function parseInspect(args: readonly string[], io: CliIo): ParsedInspect | 'help' {
  const { values, positionals, tokens } = parseFlags(args);
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('inspect: missing COOKIE');
  if (positionals.length > 1) throw new UsageError(`inspect: expected one COOKIE, got ${positionals.length} arguments (quote a Cookie header)`);
  const ikms = readKeys(tokens);
  const remember = values.remember === true;
  const now = readNow(values.now);
  const cookieNames = readCookieNames(values['cookie-name'], remember);
  const rememberSafety = readRememberSafety(values['remember-safety'], remember);
  const timeouts = readTimeouts(values, remember);
  const storage = values.storage === true;
  const settings: InspectSettings = { ikms, now, remember, audience: values.audience, rememberSafety, timeouts, storage };
  const optionsFor = optionsResolver(settings, io);
  optionsFor(cookieNames[0]!); // usage errors now, before any cookie is read
  return {
    cookie: positionals[0]!,
    kind: remember ? 'remember' : 'session',
    cookieNames,
    cookieNameGiven: values['cookie-name'] !== undefined,
    optionsFor,
    storage,
    now,
    bind: { ip: values['bind-ip'], scheme: values['bind-scheme'], userAgent: values['bind-user-agent'] },
  };
}

// node:util's errors become usage errors; an unknown flag is named without its value.
function parseFlags(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: INSPECT_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const token = args.find((a) => a.startsWith('-') && !isKnownFlag(a));
      throw new UsageError(`unknown option ${token === undefined ? '' : quoteFlag(token)}`.trimEnd());
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(String((err as Error).message).split('\n')[0]!);
    throw err;
  }
}

function isKnownFlag(arg: string): boolean {
  if (arg === '--' || arg === '-h') return true;
  const name = arg.replace(/^--?/, '').split('=', 1)[0]!;
  return Object.hasOwn(INSPECT_OPTIONS, name);
}

// Keys in command-line order, each turned into its 32-byte ikm (a secret's is SHA-256 of it).
function readKeys(tokens: ReadonlyArray<{ readonly kind: string; readonly name?: string; readonly value?: string | undefined }>): Uint8Array[] {
  const crypto = defaultCrypto();
  const ikms: Uint8Array[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || (token.name !== 'secret' && token.name !== 'ikm-hex')) continue;
    const value = token.value ?? '';
    if (token.name === 'secret') {
      if (value === '') throw new UsageError('--secret expects a non-empty secret');
      ikms.push(ikmFromSecret(crypto, value));
    } else {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new UsageError('--ikm-hex expects 64 hex characters (32 bytes)');
      ikms.push(new Uint8Array(Buffer.from(value, 'hex')));
    }
  }
  if (ikms.length === 0) throw new UsageError('inspect: give the key with --secret or --ikm-hex');
  return ikms;
}

function readNow(text: string | undefined): number {
  if (text === undefined) return Math.floor(Date.now() / 1000);
  if (/^\d+(\.\d+)?$/.test(text)) return Math.floor(Number(text));
  throw new UsageError('--now expects Unix seconds');
}

function readCookieNames(explicitName: string | undefined, remember: boolean): string[] {
  if (explicitName !== undefined && !TOKEN.test(explicitName)) throw new UsageError('--cookie-name expects a cookie name');
  const baseName = remember ? 'remember' : 'session';
  // Without --cookie-name: lua-resty-session's name and httpsession's prefixed defaults.
  return explicitName !== undefined ? [explicitName] : [baseName, `__Host-${baseName}`, `__Secure-${baseName}`];
}

/**
 * The level of `--remember-safety`, in any case, and in lua-resty-session's spellings too (`None`, `Low`,
 * `Medium`, `High`, `Very High`), since users paste their gateway's configuration: spaces and underscores
 * read as the hyphen of `very-high`.
 */
function readRememberSafety(text: string | undefined, remember: boolean): RememberSafety | undefined {
  const safety = text?.trim().toLowerCase().replace(/[\s_-]+/g, '-');
  if (safety !== undefined && !Object.hasOwn(REMEMBER_ITERATIONS, safety)) {
    throw new UsageError(`--remember-safety expects one of ${Object.keys(REMEMBER_ITERATIONS).join(', ')} (or lua-resty-session's None, Low, Medium, High, Very High; any case)`);
  }
  if (safety !== undefined && !remember) throw new UsageError('--remember-safety applies only with --remember');
  return safety as RememberSafety | undefined;
}

function readTimeouts(values: { readonly [F in TimeoutFlag]?: string | undefined }, remember: boolean): InspectSettings['timeouts'] {
  const idling = readSeconds(values['idling-timeout'], 'idling-timeout');
  const rolling = readSeconds(values['rolling-timeout'], 'rolling-timeout');
  const absolute = readSeconds(values['absolute-timeout'], 'absolute-timeout');
  if (remember && idling !== undefined) throw new UsageError('--idling-timeout does not apply to a remember cookie');
  return { idling, rolling, absolute };
}

function readSeconds(text: string | undefined, flag: TimeoutFlag): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} expects a whole number of seconds`);
  return Number(text);
}
