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
 * @module
 */
import { parseArgs } from 'node:util';
import { base64urlEncode } from './codec/base64url.ts';
import { defaultCrypto } from './codec/crypto.ts';
import { Flags, HEADER_TEXT_SIZE, type Header } from './codec/header.ts';
import { deriveMacKey, ikmFromSecret, REMEMBER_ITERATIONS, type RememberSafety } from './codec/keys.ts';
import { bindDigest, parseHeader, verifyMac, type ParsedHeader } from './codec/seal.ts';
import { collectCookies } from './cookie/parse.ts';
import { chunkCount, splitChunks } from './cookie/serialize.ts';
import type { InvalidReason } from './errors.ts';
import { resolveOptions, type ResolvedOptions, type SessionOptions, type Timeouts } from './options.ts';
import { effectiveTimeouts, expiry, openCookie, storageKeyOf, type OpenContext, type OpenResult } from './reader.ts';
import type { Storage } from './storage/types.ts';

/** Where {@link main} writes: standard output (the JSON result, a secret, help) and standard error. */
export interface CliIo {
  /** Receives the result; each call is a complete chunk of text. */
  readonly stdout: (s: string) => void;
  /** Receives usage errors, notes and warnings. */
  readonly stderr: (s: string) => void;
}

/** Exit codes of {@link main}. */
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

COOKIE is a cookie value, or a whole Cookie header value ("Cookie: session=...; session2=...").
In a header the cookie is looked for as session (lua-resty-session's name), __Host-session or
__Secure-session (httpsession's secure defaults); with --remember as remember, __Host-remember or
__Secure-remember. --cookie-name gives any other name.

Options of inspect:
  --secret S              a secret; repeat for fallbacks (the first given is the current key)
  --ikm-hex H             raw key material, 64 hex characters; repeatable like --secret
  --now UNIX              the time to check the timeouts at, Unix seconds (default: now)
  --audience A            whose per-session timeouts apply (default: default)
  --cookie-name NAME      the cookie to read from a Cookie header, prefix included
                          (default: session, __Host-session or __Secure-session; see above)
  --remember              COOKIE is a remember cookie
  --remember-safety L     none | low | medium | high | very-high (default: medium)
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

class UsageError extends Error {}

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

// RFC 9110 token: the grammar of a cookie name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [Flags.storage, 'storage'],
  [Flags.forget, 'forget'],
  [Flags.deflate, 'deflate'],
  [Flags.bindIp, 'bind-ip'],
  [Flags.bindScheme, 'bind-scheme'],
  [Flags.bindUserAgent, 'bind-user-agent'],
];
const BIND_MASK = Flags.bindIp | Flags.bindScheme | Flags.bindUserAgent;
// resolveOptions names its options; the user typed flags.
const OPTION_FLAGS: Readonly<Record<string, string>> = {
  idlingTimeout: '--idling-timeout',
  rollingTimeout: '--rolling-timeout',
  absoluteTimeout: '--absolute-timeout',
  rememberRollingTimeout: '--rolling-timeout',
  rememberAbsoluteTimeout: '--absolute-timeout',
  audience: '--audience',
  rememberSafety: '--remember-safety',
};

/** The header fields as printed. */
export interface InspectHeader {
  readonly type: number;
  readonly flags: number;
  readonly flagNames: string[];
  /** base64url of the 32-byte session id. */
  readonly sid: string;
  readonly creationTime: number;
  readonly rollingOffset: number;
  readonly dataSize: number;
  readonly idlingOffset: number;
}

/** Seconds left on each timeout at `--now`; `null` where the timeout is disabled. */
export interface InspectRemaining {
  readonly idling: number | null;
  readonly rolling: number | null;
  readonly absolute: number | null;
  /** The smallest of the others, or `null` when every timeout is disabled. */
  readonly timeout: number | null;
}

/** The JSON object `httpsession inspect` prints. */
export interface InspectReport {
  readonly valid: boolean;
  readonly reason: InvalidReason | null;
  /** lua-resty-session's message for the failure. */
  readonly detail: string | null;
  /** `null` when the header could not be decoded. */
  readonly header: InspectHeader | null;
  /** The key that authenticated the header (0 = the first key given), `null` when none did. */
  readonly keyIndex: number | null;
  /** Every audience in the payload, `null` when it was not decrypted. */
  readonly audiences: Array<{ audience: string; subject: string | null; data: Record<string, unknown> }> | null;
  /** With `--storage`: the payload lives in the store and was not read. */
  readonly payload?: 'in storage';
  /** With `--storage`: the key of the record in the store. */
  readonly storageKey?: string;
  /** `null` when the header did not authenticate. */
  readonly remaining: InspectRemaining | null;
}

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
        if (rest.length > 0) throw new UsageError('secret takes no arguments');
        io.stdout(`${newSecret()}\n`);
        return ExitCode.ok;
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

/**
 * A fresh random secret: 32 bytes from the CSPRNG as base64url (43 characters).
 * @example newSecret() // 'q3X...'
 */
export function newSecret(): string {
  return base64urlEncode(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

// Only the option's name: `--secret=value` must not echo the value.
function quoteFlag(arg: string): string {
  const eq = arg.indexOf('=');
  return `'${eq === -1 ? arg : arg.slice(0, eq)}'`;
}

interface ParsedInspect {
  readonly cookie: string;
  readonly kind: 'session' | 'remember';
  /**
   * The names to look for in a Cookie header: `--cookie-name`, or else the default name bare and with
   * each prefix (`session`, `__Host-session`, `__Secure-session`). A bare value is read as the first.
   */
  readonly cookieNames: readonly string[];
  /** The options to read a cookie of that (full) name with: the reader takes the chunk layout from its length. */
  readonly optionsFor: (cookieName: string) => ResolvedOptions;
  readonly storage: boolean;
  readonly now: number;
  readonly bind: { readonly ip: string | undefined; readonly scheme: string | undefined; readonly userAgent: string | undefined };
}

function parseInspect(args: readonly string[], io: CliIo): ParsedInspect | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: INSPECT_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const token = args.find((a) => a.startsWith('-') && !isKnownFlag(a));
      throw new UsageError(`unknown option ${token === undefined ? '' : quoteFlag(token)}`.trimEnd());
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(String((err as Error).message).split('\n')[0]!);
    throw err;
  }
  const { values, positionals, tokens } = parsed;
  if (values.help === true) return 'help';
  if (positionals.length === 0) throw new UsageError('inspect: missing COOKIE');
  if (positionals.length > 1) throw new UsageError(`inspect: expected one COOKIE, got ${positionals.length} arguments (quote a Cookie header)`);

  // Keys in command-line order, each turned into its 32-byte ikm (a secret's is SHA-256 of it).
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

  const remember = values.remember === true;
  const seconds = (flag: 'idling-timeout' | 'rolling-timeout' | 'absolute-timeout'): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} expects a whole number of seconds`);
    return Number(text);
  };
  let now: number;
  if (values.now === undefined) now = Math.floor(Date.now() / 1000);
  else if (/^\d+(\.\d+)?$/.test(values.now)) now = Math.floor(Number(values.now));
  else throw new UsageError('--now expects Unix seconds');

  const explicitName = values['cookie-name'];
  if (explicitName !== undefined && !TOKEN.test(explicitName)) throw new UsageError('--cookie-name expects a cookie name');
  const baseName = remember ? 'remember' : 'session';
  // Without --cookie-name: lua-resty-session's name and httpsession's prefixed defaults.
  const cookieNames = explicitName !== undefined ? [explicitName] : [baseName, `__Host-${baseName}`, `__Secure-${baseName}`];

  const safety = values['remember-safety']?.toLowerCase();
  if (safety !== undefined && !Object.hasOwn(REMEMBER_ITERATIONS, safety)) {
    throw new UsageError(`--remember-safety expects one of ${Object.keys(REMEMBER_ITERATIONS).join(', ')}`);
  }
  if (safety !== undefined && !remember) throw new UsageError('--remember-safety applies only with --remember');
  const idling = seconds('idling-timeout');
  const rolling = seconds('rolling-timeout');
  const absolute = seconds('absolute-timeout');
  if (remember && idling !== undefined) throw new UsageError('--idling-timeout does not apply to a remember cookie');

  const sessionOptions: SessionOptions = {
    ikm: ikms[0]!,
    ikmFallbacks: ikms.slice(1),
    now: () => now,
    // The only warning resolveOptions gives here is about short secrets; keep the rest.
    logger: {
      warn: (message) => {
        if (!/"secret" is \d+ characters/.test(message)) io.stderr(`${message}\n`);
      },
    },
  };
  if (values.audience !== undefined) sessionOptions.audience = values.audience;
  if (safety !== undefined) sessionOptions.rememberSafety = safety as RememberSafety;
  if (remember) {
    if (rolling !== undefined) sessionOptions.rememberRollingTimeout = rolling;
    if (absolute !== undefined) sessionOptions.rememberAbsoluteTimeout = absolute;
  } else {
    if (idling !== undefined) sessionOptions.idlingTimeout = idling;
    if (rolling !== undefined) sessionOptions.rollingTimeout = rolling;
    if (absolute !== undefined) sessionOptions.absoluteTimeout = absolute;
  }
  const storage = values.storage === true;
  if (storage) sessionOptions.storage = PROBE_STORAGE;

  const resolved = new Map<string, ResolvedOptions>();
  const optionsFor = (cookieName: string): ResolvedOptions => {
    let options = resolved.get(cookieName);
    if (options !== undefined) return options;
    // The reader derives the chunk layout from the name's length, so the name goes into the options,
    // whole: `prefix: ''` keeps the default prefix from being prepended to it. The other name is unused
    // here; it only has to differ.
    const cookie = remember
      ? { prefix: '' as const, rememberName: cookieName, ...(cookieName === 'session' ? { name: 'session-cli' } : {}) }
      : { prefix: '' as const, name: cookieName, ...(cookieName === 'remember' ? { rememberName: 'remember-cli' } : {}) };
    try {
      options = resolveOptions({ ...sessionOptions, cookie });
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      throw new UsageError(err.message.replace(/"(\w+)"/g, (all, name: string) => OPTION_FLAGS[name] ?? all));
    }
    resolved.set(cookieName, options);
    return options;
  };
  optionsFor(cookieNames[0]!); // usage errors now, before any cookie is read
  return {
    cookie: positionals[0]!,
    kind: remember ? 'remember' : 'session',
    cookieNames,
    optionsFor,
    storage,
    now,
    bind: { ip: values['bind-ip'], scheme: values['bind-scheme'], userAgent: values['bind-user-agent'] },
  };
}

function isKnownFlag(arg: string): boolean {
  if (arg === '--' || arg === '-h') return true;
  const name = arg.replace(/^--?/, '').split('=', 1)[0]!;
  return Object.hasOwn(INSPECT_OPTIONS, name);
}

// Stands in for the store under --storage: the reader authenticates the header, then asks for the
// record, which is never there. A 'not-found' answer therefore means "the header authenticated".
const PROBE_STORAGE: Storage = {
  name: 'httpsession-cli',
  get: () => Promise.resolve(null),
  set: () => Promise.reject(new Error('the inspect command never writes')),
  delete: () => Promise.resolve(),
};

interface Candidate {
  /** The cookie's name (its first chunk's). */
  readonly name: string;
  /** The first (or only) chunk's value. */
  readonly value: string;
  readonly chunk: (index: number) => string | undefined;
}

/** The cookie values to try, under any of `names`, each with a way to find its chunks. */
function cookieCandidates(input: string, names: readonly string[]): Candidate[] {
  const text = input.trim().replace(/^cookie\s*:\s*/i, '');
  if (!text.includes('=') && !text.includes(';')) return [splitJoined(text, names[0]!)];
  const isWanted = (n: string): boolean => names.some((name) => n === name || (n.startsWith(name) && /^[2-9]$/.test(n.slice(name.length))));
  const cookies = collectCookies(text, isWanted);
  const out: Candidate[] = [];
  for (const name of names) {
    const chunk = (i: number): string | undefined => cookies[`${name}${i}`]?.[0];
    for (const value of cookies[name] ?? []) out.push({ name, value, chunk });
  }
  if (out.length === 0) {
    const quoted = names.map((n) => JSON.stringify(n));
    const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)!}`;
    throw new UsageError(`inspect: no cookie named ${list} in the Cookie header (see --cookie-name)`);
  }
  return out;
}

/**
 * A bare value may be a chunked cookie's chunks joined together: when its length is exactly what its
 * header announces, it is cut back into the chunks the browser would hold (the reader takes the chunk
 * layout from the header, spec 1.4). Anything else is passed on unchanged for the reader to judge.
 */
function splitJoined(value: string, name: string): Candidate {
  const header = parseHeader(value);
  const none = { name, value, chunk: () => undefined };
  if (header === null || (header.flags & Flags.storage) !== 0 || value.length !== HEADER_TEXT_SIZE + header.dataSize) return none;
  const count = chunkCount(name.length, value.length);
  if (count < 2) return none;
  const parts = splitChunks(name, value, count);
  return { name, value: parts[0]!, chunk: (i) => parts[i - 1] };
}

async function inspect(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseInspect(args, io);
  if (parsed === 'help') {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  const candidates = cookieCandidates(parsed.cookie, parsed.cookieNames);
  const reports: InspectReport[] = [];
  for (const { name, value, chunk } of candidates) reports.push(await inspectValue(parsed, parsed.optionsFor(name), value, chunk));
  // Like the server, try every cookie of that name (a parent domain's cookie may come first).
  const chosen = reports.find((r) => r.valid) ?? reports.find((r) => r.keyIndex !== null) ?? reports[0]!;
  const chosenName = candidates[reports.indexOf(chosen)]!.name;
  if (reports.length > 1) {
    const names = [...new Set(candidates.map((c) => c.name))];
    const which = names.length > 1 ? ` (${chosenName})` : '';
    io.stderr(`note: ${reports.length} cookies named ${names.join(', ')}; showing #${reports.indexOf(chosen) + 1}${which}\n`);
  }
  for (const hint of hints(parsed, chosen, chosenName)) io.stderr(`note: ${hint}\n`);
  io.stdout(`${JSON.stringify(chosen, null, 2)}\n`);
  return chosen.valid ? ExitCode.ok : ExitCode.invalid;
}

function hints(parsed: ParsedInspect, report: InspectReport, cookieName: string): string[] {
  const out: string[] = [];
  const flags = report.header?.flags ?? 0;
  if (report.reason === 'flags') {
    out.push((flags & Flags.storage) !== 0 ? 'the cookie has the storage flag: pass --storage' : 'the cookie holds its payload: drop --storage');
  }
  if (report.reason === 'unauthenticated' && (flags & BIND_MASK) !== 0) {
    const wanted = FLAG_NAMES.filter(([bit, name]) => (flags & bit) !== 0 && name.startsWith('bind-')).map(([, name]) => `--${name}`);
    out.push(`the cookie is bound to its client: check ${wanted.join(', ')}`);
  }
  if (report.reason === 'missing-chunk' && !/[=;]/.test(parsed.cookie)) {
    out.push(`the cookie is chunked: pass the whole Cookie header (${cookieName}=...; ${cookieName}2=...)`);
  }
  return out;
}

async function inspectValue(
  parsed: ParsedInspect,
  options: ResolvedOptions,
  value: string,
  chunk: (index: number) => string | undefined,
): Promise<InspectReport> {
  const { now, kind } = parsed;
  const binding = (flags: number): Uint8Array | undefined => {
    if ((flags & BIND_MASK) === 0) return undefined;
    return bindDigest(options.crypto, [
      flags & Flags.bindIp ? parsed.bind.ip : undefined,
      flags & Flags.bindScheme ? parsed.bind.scheme : undefined,
      flags & Flags.bindUserAgent ? parsed.bind.userAgent : undefined,
    ]);
  };
  const ctx: OpenContext = { kind, now, chunk, binding };
  const result: OpenResult = await openCookie(options, value, ctx);
  const header = parseHeader(value);
  const keyIndex = header === null ? -1 : authenticate(options, header, binding(header.flags));
  const remember = kind === 'remember';

  let valid = result.ok;
  let reason: InvalidReason | null = result.ok ? null : result.reason;
  let detail: string | null = result.ok ? null : result.detail;
  let timeouts: Timeouts = remember ? options.rememberTimeouts : options.timeouts;
  let audiences: InspectReport['audiences'] = null;
  const cookie = result.cookie;
  if (cookie !== undefined) {
    audiences = cookie.entries.map((e) => ({ audience: e.audience, subject: e.subject ?? null, data: e.data }));
    if (!remember) timeouts = effectiveTimeouts(options.timeouts, cookie.entries.find((e) => e.audience === options.audience)?.data);
  }
  if (parsed.storage && !result.ok && result.reason === 'not-found' && header !== null) {
    // The header authenticated; only the (absent) record was missing. Judge the timeouts.
    const expired = expiry(header, now, timeouts, remember);
    valid = expired === undefined;
    reason = expired === undefined ? null : 'expired';
    detail = expired ?? null;
  }
  const report: InspectReport = {
    valid,
    reason,
    detail,
    header: header === null ? null : describeHeader(header),
    keyIndex: keyIndex < 0 ? null : keyIndex,
    audiences,
    ...(parsed.storage && header !== null ? { payload: 'in storage' as const, storageKey: storageKeyOf(options, header.sid) } : {}),
    remaining: header === null || keyIndex < 0 ? null : remaining(header, now, timeouts, remember),
  };
  return report;
}

/** The index of the key whose MAC matches, or -1. */
function authenticate(options: ResolvedOptions, header: ParsedHeader, binding: Uint8Array | undefined): number {
  for (let i = 0; i < options.keys.length; i++) {
    if (verifyMac(options.crypto, header, deriveMacKey(options.crypto, options.keys[i]!, header.sid), binding)) return i;
  }
  return -1;
}

function describeHeader(h: Header): InspectHeader {
  const names = FLAG_NAMES.filter(([bit]) => (h.flags & bit) !== 0).map(([, name]) => name);
  const known = FLAG_NAMES.reduce((mask, [bit]) => mask | bit, 0);
  for (let bit = 1; bit <= 0x8000; bit <<= 1) {
    if ((h.flags & bit) !== 0 && (known & bit) === 0) names.push(`0x${bit.toString(16).padStart(4, '0')}`);
  }
  return {
    type: h.type,
    flags: h.flags,
    flagNames: names,
    sid: base64urlEncode(h.sid),
    creationTime: h.creationTime,
    rollingOffset: h.rollingOffset,
    dataSize: h.dataSize,
    idlingOffset: h.idlingOffset,
  };
}

function remaining(h: Header, now: number, t: Timeouts, remember: boolean): InspectRemaining {
  const left = (limit: number, since: number): number | null => (limit > 0 ? Math.max(0, Math.floor(limit - (now - since))) : null);
  const rollingStart = h.creationTime + h.rollingOffset;
  const idling = remember ? null : left(t.idling, rollingStart + h.idlingOffset);
  const rolling = left(t.rolling, rollingStart);
  const absolute = left(t.absolute, h.creationTime);
  const enabled = [idling, rolling, absolute].filter((v): v is number => v !== null);
  return { idling, rolling, absolute, timeout: enabled.length === 0 ? null : Math.min(...enabled) };
}
