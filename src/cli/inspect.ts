/**
 * `httpsession inspect`: opens a cookie the way a server configured with the same options would (the
 * reader's own {@link openCookie}), then reports the verdict with everything that explains it: the
 * header, which key authenticated it, every audience's data, the time left on each timeout. Notes on
 * likely mistakes go to standard error; the report is printed as JSON.
 *
 * @module
 */
import { Flags } from '../codec/header.ts';
import { deriveMacKey } from '../codec/keys.ts';
import { bindDigest, parseHeader, verifyMac, type ParsedHeader } from '../codec/seal.ts';
import type { InvalidReason } from '../errors.ts';
import type { ResolvedOptions, Timeouts } from '../options.ts';
import { effectiveTimeouts, expiry, openCookie, storageKeyOf, type OpenContext, type OpenResult } from '../reader.ts';
import { parseInspect, type ParsedInspect } from './args.ts';
import { cookieCandidates, type CookieForm } from './cookies.ts';
import { BIND_MASK, describeHeader, FLAG_NAMES, remaining, type InspectReport } from './report.ts';
import { ExitCode, USAGE, type CliIo } from './usage.ts';

/**
 * Runs `httpsession inspect`: prints the report of the cookie given, or of the best of several cookies
 * of that name (valid first, else authenticated, else the first), as a server would try each.
 * @param args - the arguments after `inspect`
 * @param io - where to write the report (stdout) and notes (stderr)
 * @returns {@link ExitCode}.ok when the cookie is valid, {@link ExitCode}.invalid when not
 * @throws UsageError on a mistake on the command line (see {@link parseInspect})
 * @example await inspect(['--secret', secret, '--now', '1700000100', 'session=AQAA...'], io) // 0
 */
export async function inspect(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseInspect(args, io);
  if (parsed === 'help') {
    io.stdout(USAGE);
    return ExitCode.ok;
  }
  const { form, candidates, notes } = cookieCandidates(parsed.cookie, parsed.cookieNames, !parsed.cookieNameGiven);
  for (const note of notes) io.stderr(`note: ${note}\n`);
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
  for (const hint of hints(form, chosen, chosenName)) io.stderr(`note: ${hint}\n`);
  io.stdout(`${JSON.stringify(chosen, null, 2)}\n`);
  return chosen.valid ? ExitCode.ok : ExitCode.invalid;
}

// The likely mistakes behind a failure that the flags can fix.
function hints(form: CookieForm, report: InspectReport, cookieName: string): string[] {
  const out: string[] = [];
  const flags = report.header?.flags ?? 0;
  if (report.reason === 'flags') {
    out.push((flags & Flags.storage) !== 0 ? 'the cookie has the storage flag: pass --storage' : 'the cookie holds its payload: drop --storage');
  }
  if (report.reason === 'unauthenticated' && (flags & BIND_MASK) !== 0) {
    const wanted = FLAG_NAMES.filter(([bit, name]) => (flags & bit) !== 0 && name.startsWith('bind-')).map(([, name]) => `--${name}`);
    out.push(`the cookie is bound to its client: check ${wanted.join(', ')}`);
  }
  if (report.reason === 'missing-chunk' && form !== 'header') {
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
  // The reader names the key only for a cookie that opened; the report names it whenever the MAC matched.
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
