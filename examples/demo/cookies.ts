/**
 * The demo's cookie inspector: finds the current value of a session or remember cookie (the one this
 * response sets, else the one the browser sent) and decodes its header with `httpsession/codec`.
 * Only the header is read (no key is needed for that); the id, tag and MAC are shown shortened.
 */
import type http from 'node:http';
import { base64urlEncode, Flags, parseHeader } from 'httpsession/codec';

/** One cookie as the inspector shows it. */
export interface InspectedCookie {
  readonly name: string;
  /** Where the value comes from: the Set-Cookie of this response, or the request's Cookie header. */
  readonly source: 'response' | 'request';
  /** Characters in `name=value`. */
  readonly length: number;
  /** The Set-Cookie attributes (`Path=/`, `HttpOnly`, ...), for a cookie this response sets. */
  readonly attributes: readonly string[];
  /** Label → value rows for the header fields, or `undefined` when the value is not a session header. */
  readonly fields: ReadonlyArray<readonly [string, string]> | undefined;
  /** The whole session id (base64url), to recognise this browser's records; never rendered. */
  readonly sid: string | undefined;
}

/** Parses a Cookie request header (first value wins, as the demo's browser sends one of each). */
export function requestCookies(req: http.IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The Set-Cookie line this response sets for `name`, if any. */
function responseLine(res: http.ServerResponse, name: string): string | undefined {
  const header = res.getHeader('set-cookie');
  const lines = Array.isArray(header) ? header : header === undefined ? [] : [String(header)];
  return lines.find((line) => line.startsWith(`${name}=`));
}

const hex = (bytes: Uint8Array, n: number): string => `${Buffer.from(bytes.subarray(0, n)).toString('hex')}…`;
const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [Flags.storage, 'storage'],
  [Flags.forget, 'forget'],
  [Flags.deflate, 'deflate'],
  [Flags.bindIp, 'bind ip'],
  [Flags.bindScheme, 'bind scheme'],
  [Flags.bindUserAgent, 'bind user agent'],
];

/** The header fields of a session or remember cookie value, as label → text rows. */
export function headerFields(value: string, now: number): Array<[string, string]> | undefined {
  const header = parseHeader(value);
  if (header === null) return undefined;
  const flags = FLAG_NAMES.filter(([bit]) => (header.flags & bit) !== 0).map(([, name]) => name);
  const saved = header.creationTime + header.rollingOffset;
  const inStore = (header.flags & Flags.storage) !== 0;
  const ago = (t: number): string => `${Math.max(0, Math.round(now - t))} s ago`;
  return [
    ['type', String(header.type)],
    ['flags', `0x${header.flags.toString(16).padStart(4, '0')}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}`],
    ['session id', `${base64urlEncode(header.sid).slice(0, 8)}…`],
    ['creation time', `${new Date(header.creationTime * 1000).toISOString()} (${ago(header.creationTime)})`],
    ['rolling offset', `${header.rollingOffset} s (saved ${ago(saved)})`],
    ['idling offset', `${header.idlingOffset} s (touched ${ago(saved + header.idlingOffset)})`],
    ['data size', `${header.dataSize} characters of ciphertext, ${inStore ? 'in the store' : 'in the cookie'}`],
    ['tag', hex(header.tag, 6)],
    ['MAC', hex(header.mac, 6)],
  ];
}

function sidOf(value: string): string | undefined {
  const header = parseHeader(value);
  return header === null ? undefined : base64urlEncode(header.sid);
}

/**
 * The current value of cookie `name` for this response: the one it sets, else the one the browser sent.
 * @returns `undefined` when there is none, or when this response expires it
 */
export function inspectCookie(req: http.IncomingMessage, res: http.ServerResponse, name: string, now: number): InspectedCookie | undefined {
  const line = responseLine(res, name);
  if (line !== undefined) {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    if (attributes.some((a) => /^max-age=(0|-)/i.test(a))) return undefined;
    const value = pair.slice(name.length + 1);
    return { name, source: 'response', length: pair.length, attributes, fields: headerFields(value, now), sid: sidOf(value) };
  }
  const value = requestCookies(req).get(name);
  if (value === undefined) return undefined;
  return { name, source: 'request', length: name.length + 1 + value.length, attributes: [], fields: headerFields(value, now), sid: sidOf(value) };
}
