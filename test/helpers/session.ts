/**
 * Shared helpers of the Session-level tests: a tiny cookie-jar client over the Fetch transport, managers
 * with quiet defaults, an `onInvalid` recorder and Set-Cookie inspection.
 */
import { createHash } from 'node:crypto';
import { parseHeader, type ParsedHeader } from '../../src/codec/seal.ts';
import type { InvalidCookie } from '../../src/errors.ts';
import { createSessionManager, type SessionManager } from '../../src/manager.ts';
import { luaRestySessionCookie, type SessionOptions } from '../../src/options.ts';
import type { Session } from '../../src/session.ts';
import { fixedClock, sequenceRandom, type FixedClock } from '../../src/testing/index.ts';

/** Unix time the tests start at (the vectors' pinned clock). */
export const T0 = 1_700_000_000;
/** A secret long enough not to trigger the short-secret warning. */
export const SECRET = 'session-tests-secret-0123456789abcdef';
/** The vectors' bind context. */
export const UA = 'vector-agent/1.0';
export const IP = '127.0.0.1';

/** Swallows warnings (the vector secret is short on purpose). */
export const quiet = { warn(): void {} };

/** Records what the `onInvalid` hook receives. */
export interface InvalidLog {
  readonly events: InvalidCookie[];
  readonly hook: (event: InvalidCookie) => void;
  /** Empties the log and returns what it held. */
  take(): InvalidCookie[];
}

export function invalidLog(): InvalidLog {
  const events: InvalidCookie[] = [];
  return {
    events,
    hook: (event) => void events.push(event),
    take: () => events.splice(0, events.length),
  };
}

/** A test bed: a fixed clock, an invalid-cookie log and a factory of managers sharing them. */
export interface Bed {
  readonly clock: FixedClock;
  readonly invalid: InvalidLog;
  manager<D extends Record<string, unknown> = Record<string, any>>(options?: SessionOptions): SessionManager<D>;
}

/**
 * A test bed whose managers use lua-resty-session's cookie defaults ({@link luaRestySessionCookie}:
 * `session` / `remember`, no Secure, no prefix), so the tests can name and hand-build `session=` cookies;
 * `cookie` options given to `bed()` or `manager()` are merged over them.
 */
export function bed(defaults: SessionOptions = {}, start = T0): Bed {
  const clock = fixedClock(start);
  const invalid = invalidLog();
  const random = sequenceRandom(7);
  return {
    clock,
    invalid,
    manager: <D extends Record<string, unknown>>(options: SessionOptions = {}) =>
      createSessionManager<D>({
        secret: SECRET,
        now: clock.now,
        randomBytes: random,
        onInvalid: invalid.hook,
        logger: quiet,
        ...defaults,
        ...options,
        cookie: { ...luaRestySessionCookie, ...defaults.cookie, ...options.cookie },
      }),
  };
}

/** One request/response through the Fetch transport. */
export interface Exchange<D extends Record<string, unknown>> {
  readonly session: Session<D>;
  readonly request: Request;
  readonly headers: Headers;
  /** The Set-Cookie lines written so far. */
  setCookies(): string[];
}

/** A browser-like client: keeps cookies from Set-Cookie lines and sends them back. */
export class Client {
  readonly jar = new Map<string, string>();
  userAgent = UA;
  remoteAddress: string | undefined = IP;
  url = 'http://127.0.0.1/';

  constructor(cookieHeader?: string) {
    if (cookieHeader !== undefined) {
      for (const part of cookieHeader.split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) this.jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
      }
    }
  }

  /** The Cookie header the client would send, or undefined with an empty jar. */
  get cookieHeader(): string | undefined {
    if (this.jar.size === 0) return undefined;
    return [...this.jar].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  /** A copy of this client (same cookies), e.g. an attacker holding a copy of an old cookie. */
  clone(): Client {
    const c = new Client();
    for (const [n, v] of this.jar) c.jar.set(n, v);
    c.userAgent = this.userAgent;
    c.remoteAddress = this.remoteAddress;
    c.url = this.url;
    return c;
  }

  request(): Request {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    const cookie = this.cookieHeader;
    if (cookie !== undefined) headers.cookie = cookie;
    return new Request(this.url, { headers });
  }

  /** Opens (or starts) the session of a new request carrying this client's cookies. */
  async open<D extends Record<string, unknown>>(manager: SessionManager<D>, how: 'open' | 'start' = 'open'): Promise<Exchange<D>> {
    const request = this.request();
    const headers = new Headers();
    const options = this.remoteAddress === undefined ? {} : { remoteAddress: this.remoteAddress };
    const session = how === 'open' ? await manager.open(request, headers, options) : await manager.start(request, headers, options);
    return { session, request, headers, setCookies: () => headers.getSetCookie() };
  }

  /** Applies Set-Cookie lines (from Headers or a list) like a browser; returns the lines. */
  receive(from: Headers | readonly string[]): string[] {
    const lines = from instanceof Headers ? from.getSetCookie() : [...from];
    for (const line of lines) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/;\s*Max-Age=0(;|$)/i.test(line)) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1));
    }
    return lines;
  }
}

/** Runs one request: open the session, let `fn` use it, then hand the Set-Cookie lines to the client. */
export async function visit<D extends Record<string, unknown>, R>(
  client: Client,
  manager: SessionManager<D>,
  fn: (session: Session<D>, x: Exchange<D>) => R | Promise<R>,
): Promise<{ result: R; lines: string[]; x: Exchange<D> }> {
  const x = await client.open(manager);
  const result = await fn(x.session, x);
  const lines = client.receive(x.headers);
  return { result, lines, x };
}

/** The line for cookie `name` among Set-Cookie lines, if any. */
export function lineFor(lines: readonly string[], name: string): string | undefined {
  return lines.find((l) => l.startsWith(`${name}=`));
}

/** The value of cookie `name` in Set-Cookie lines (throws when absent). */
export function valueOf(lines: readonly string[], name: string): string {
  const line = lineFor(lines, name);
  if (line === undefined) throw new Error(`no Set-Cookie for ${name} in ${JSON.stringify(lines)}`);
  return line.split(';', 1)[0]!.slice(name.length + 1);
}

/** The decoded header of cookie `name` in Set-Cookie lines. */
export function headerOf(lines: readonly string[], name = 'session'): ParsedHeader {
  const header = parseHeader(valueOf(lines, name));
  if (header === null) throw new Error(`Set-Cookie ${name} has no valid header`);
  return header;
}

/** Whether a Set-Cookie line deletes its cookie. */
export function isExpiry(line: string | undefined): boolean {
  return line !== undefined && line.includes('; Max-Age=0') && /^[^=]+=;/.test(line);
}

/** A string of `length` hex characters that does not compress (a SHA-256 chain). */
export function incompressible(length: number, seed = 'seed'): string {
  let out = '';
  let block = seed;
  while (out.length < length) {
    block = createHash('sha256').update(block).digest('hex');
    out += block;
  }
  return out.slice(0, length);
}
