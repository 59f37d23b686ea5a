/**
 * The session options `httpsession inspect` opens a cookie with: what the flags say, on top of the
 * library's defaults, so that the verdict is the one a server configured the same way would give.
 * `resolveOptions` checks them, and its errors are reworded to name the flags the user typed.
 *
 * @module
 */
import type { RememberSafety } from '../codec/keys.ts';
import { resolveOptions, type CookieOptions, type ResolvedOptions, type SessionOptions } from '../options.ts';
import type { Storage } from '../storage/types.ts';
import { UsageError, type CliIo } from './usage.ts';

/** The flags of inspect that go into the session options, each already checked on its own. */
export interface InspectSettings {
  /** Every key's 32-byte ikm in command-line order: the first is the current key, the rest fallbacks. */
  readonly ikms: readonly Uint8Array[];
  /** `--now`, Unix seconds. */
  readonly now: number;
  /** `--remember`: the timeouts given are the remember ones. */
  readonly remember: boolean;
  readonly audience: string | undefined;
  readonly rememberSafety: RememberSafety | undefined;
  /** Seconds from `--idling-timeout`, `--rolling-timeout` and `--absolute-timeout`, where given. */
  readonly timeouts: { readonly idling: number | undefined; readonly rolling: number | undefined; readonly absolute: number | undefined };
  /** `--storage`: the cookie is a server-side storage header. */
  readonly storage: boolean;
}

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

// Stands in for the store under --storage: the reader authenticates the header, then asks for the
// record, which is never there. A 'not-found' answer therefore means "the header authenticated".
const PROBE_STORAGE: Storage = {
  name: 'httpsession-cli',
  get: () => Promise.resolve(null),
  set: () => Promise.reject(new Error('the inspect command never writes')),
  delete: () => Promise.resolve(),
};

/**
 * The options to read a cookie of a given (full) name with, resolved once per name: the reader takes
 * the chunk layout from the name's length.
 * @param settings - the checked flags
 * @param io - where `resolveOptions`' warnings go (standard error)
 * @returns a function of the cookie name; it throws `UsageError` (naming the flag, never a value) when
 *   `resolveOptions` rejects the options
 * @example optionsResolver(settings, io)('__Host-session').timeouts.idling // 900
 */
export function optionsResolver(settings: InspectSettings, io: CliIo): (cookieName: string) => ResolvedOptions {
  const sessionOptions = sessionOptionsOf(settings, io);
  const resolved = new Map<string, ResolvedOptions>();
  return (cookieName) => {
    let options = resolved.get(cookieName);
    if (options !== undefined) return options;
    try {
      options = resolveOptions({ ...sessionOptions, cookie: cookieOptionsFor(cookieName, settings.remember) });
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
      throw new UsageError(err.message.replace(/"(\w+)"/g, (all, name: string) => OPTION_FLAGS[name] ?? all));
    }
    resolved.set(cookieName, options);
    return options;
  };
}

function sessionOptionsOf(settings: InspectSettings, io: CliIo): SessionOptions {
  const { ikms, now, remember, timeouts } = settings;
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
  if (settings.audience !== undefined) sessionOptions.audience = settings.audience;
  if (settings.rememberSafety !== undefined) sessionOptions.rememberSafety = settings.rememberSafety;
  if (remember) {
    if (timeouts.rolling !== undefined) sessionOptions.rememberRollingTimeout = timeouts.rolling;
    if (timeouts.absolute !== undefined) sessionOptions.rememberAbsoluteTimeout = timeouts.absolute;
  } else {
    if (timeouts.idling !== undefined) sessionOptions.idlingTimeout = timeouts.idling;
    if (timeouts.rolling !== undefined) sessionOptions.rollingTimeout = timeouts.rolling;
    if (timeouts.absolute !== undefined) sessionOptions.absoluteTimeout = timeouts.absolute;
  }
  if (settings.storage) sessionOptions.storage = PROBE_STORAGE;
  return sessionOptions;
}

// The reader derives the chunk layout from the name's length, so the name goes into the options, whole:
// `prefix: ''` keeps the default prefix from being prepended to it. The other name is unused here; it
// only has to differ.
function cookieOptionsFor(cookieName: string, remember: boolean): CookieOptions {
  return remember
    ? { prefix: '' as const, rememberName: cookieName, ...(cookieName === 'session' ? { name: 'session-cli' } : {}) }
    : { prefix: '' as const, name: cookieName, ...(cookieName === 'remember' ? { rememberName: 'remember-cli' } : {}) };
}
