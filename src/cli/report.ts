/**
 * The JSON object `httpsession inspect` prints (docs/cli.md, "Output"), and the parts of it read off a
 * cookie's header: the flags by name and the time left on each timeout.
 *
 * @module
 */
import { base64urlEncode } from '../codec/base64url.ts';
import { Flags, type Header } from '../codec/header.ts';
import type { InvalidReason } from '../errors.ts';
import type { Timeouts } from '../options.ts';

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

/** The header flags by the names the report gives them (the `--bind-*` ones match the flags of inspect). */
export const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [Flags.storage, 'storage'],
  [Flags.forget, 'forget'],
  [Flags.deflate, 'deflate'],
  [Flags.bindIp, 'bind-ip'],
  [Flags.bindScheme, 'bind-scheme'],
  [Flags.bindUserAgent, 'bind-user-agent'],
];

/** The flags that bind a cookie to its client: any of them set means the MAC covers a binding digest. */
export const BIND_MASK = Flags.bindIp | Flags.bindScheme | Flags.bindUserAgent;

/**
 * The header as printed: flags also by name, the session id in base64url.
 * @param h - the decoded header
 * @returns the report's `header` field
 * @example describeHeader(parseHeader(cookie)!).flagNames // ['deflate']
 */
export function describeHeader(h: Header): InspectHeader {
  const names = FLAG_NAMES.filter(([bit]) => (h.flags & bit) !== 0).map(([, name]) => name);
  const known = FLAG_NAMES.reduce((mask, [bit]) => mask | bit, 0);
  // Bits with no known name are shown in hex rather than dropped: the report shows the header whole.
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

/**
 * Seconds left on each timeout at `now` (0 once passed), counted from the header's times.
 * @param h - the (authenticated) header
 * @param now - Unix seconds
 * @param t - the timeouts that apply (0 = disabled)
 * @param remember - whether it is a remember cookie, which has no idling timeout
 * @returns the report's `remaining` field
 * @example remaining(header, header.creationTime + 100, { idling: 900, rolling: 3600, absolute: 86400 }, false).timeout // 800
 */
export function remaining(h: Header, now: number, t: Timeouts, remember: boolean): InspectRemaining {
  const left = (limit: number, since: number): number | null => (limit > 0 ? Math.max(0, Math.floor(limit - (now - since))) : null);
  const rollingStart = h.creationTime + h.rollingOffset;
  const idling = remember ? null : left(t.idling, rollingStart + h.idlingOffset);
  const rolling = left(t.rolling, rollingStart);
  const absolute = left(t.absolute, h.creationTime);
  const enabled = [idling, rolling, absolute].filter((v): v is number => v !== null);
  return { idling, rolling, absolute, timeout: enabled.length === 0 ? null : Math.min(...enabled) };
}
