/**
 * Next.js App Router (15 and later): sessions in Route Handlers, Server Actions, Server Components (read
 * only) and middleware.
 *
 * Next.js decides where cookies may be written: a Route Handler's response, a Server Action (through
 * `cookies()`), and the response middleware returns. A Server Component renders after the headers are
 * decided, so a session read there is read-only. This adapter imports nothing from `next`: you hand it
 * `cookies` from `next/headers`, so it works with any Next.js version whose `cookies()` returns a cookie
 * store (15 and 16 return a Promise of one).
 *
 * @module
 */
import { SessionError } from '../errors.ts';
import type { HttpExchange } from '../http/types.ts';
import type { SessionManager } from '../manager.ts';
import type { Session } from '../session.ts';

/** Cookie attributes as Next.js' `cookies().set(name, value, options)` takes them (seconds for `maxAge`). */
export interface NextCookieOptions {
  /** `Path`. */
  path?: string;
  /** `Domain`. */
  domain?: string;
  /** `Max-Age`, seconds. */
  maxAge?: number;
  /** `Expires`. */
  expires?: Date;
  /** `Secure`. */
  secure?: boolean;
  /** `HttpOnly`. */
  httpOnly?: boolean;
  /** `SameSite`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** `Priority`. */
  priority?: 'low' | 'medium' | 'high';
  /** `Partitioned` (CHIPS). */
  partitioned?: boolean;
}

/**
 * What the adapter needs of Next.js' cookie store (`await cookies()` in a Server Action or Server
 * Component, `request.cookies` / `response.cookies` in middleware). Next's `ReadonlyRequestCookies`,
 * `RequestCookies` and `ResponseCookies` all fit.
 */
export interface NextCookieStore {
  /** Every cookie of the request, decoded. */
  getAll(): Array<{ name: string; value: string }>;
  /** Sets a cookie; Next.js throws here while a Server Component renders. */
  set(name: string, value: string, options: NextCookieOptions): unknown;
}

/** What the adapter needs of a middleware response (`NextResponse.next()`, `NextResponse.redirect()`). */
export interface NextMiddlewareResponse {
  readonly headers: Headers;
  readonly cookies?: {
    /** Sets a response cookie (Next.js' `NextResponse.cookies.set`). */
    set(name: string, value: string, options: NextCookieOptions): unknown;
  };
}

/** Request headers as `headers()` from `next/headers` gives them. */
export interface NextHeaderSource {
  /** Reads a request header; `null` when absent. */
  get(name: string): string | null;
}

/** Options of {@link nextSessions}. */
export interface NextSessionsOptions {
  /** `cookies` from `next/headers` (needed by `action` and `read`). */
  cookies?: () => Promise<NextCookieStore> | NextCookieStore;
  /**
   * `headers` from `next/headers`: the request headers a Server Action or Server Component session reads
   * (`User-Agent` for `bind: ['userAgent']`, `X-Forwarded-*` with `trustProxy`). Optional.
   */
  headers?: () => Promise<Headers | NextHeaderSource> | Headers | NextHeaderSource;
}

/** The session helpers for one Next.js application, from {@link nextSessions}. */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export interface NextSessions<Data extends Record<string, unknown> = Record<string, any>> {
  /**
   * Wraps a Route Handler: the session is opened from the request, handed to the handler, and committed
   * (saved when changed, else touched when due) onto the response it returns.
   * @param handler - receives the request, the session and Next's route context
   * @returns the Route Handler to export (`export const POST = ...`)
   */
  route<R extends Request, C>(handler: (request: R, session: Session<Data>, context: C) => Response | Promise<Response>): (request: R, context: C) => Promise<Response>;
  /**
   * Wraps a Server Action: the session comes from `cookies()` and is committed through it when the action
   * returns. When the action throws, nothing is committed (what it saved explicitly stays saved).
   * @param action - receives the session, then the action's own arguments
   * @returns the Server Action to export from a `'use server'` module
   */
  action<A extends unknown[], T>(action: (session: Session<Data>, ...args: A) => T | Promise<T>): (...args: A) => Promise<T>;
  /**
   * The session for a Server Component: read-only, since a component renders after Next.js has decided
   * the headers. Reading never writes a cookie; `save()` and the other writes reject with
   * `'HEADERS_SENT'`.
   */
  read(): Promise<Session<Data>>;
  /**
   * Opens the session in middleware (`middleware.ts`, `proxy.ts` in Next 16); the handler returns the
   * response (`NextResponse.next()`, a redirect), and the session is committed onto it through
   * `response.cookies`, so the page rendered for this request sees the new cookie too.
   */
  middleware<R extends Request, T extends NextMiddlewareResponse>(request: R, handler: (session: Session<Data>) => T | Promise<T>): Promise<T>;
}

/**
 * Session helpers for Next.js' App Router.
 * @param sessions - the application's session manager
 * @param options - `cookies` (and optionally `headers`) from `next/headers`
 * @returns `route`, `action`, `read` and `middleware`
 * @example
 * // lib/session.ts
 * import { cookies } from 'next/headers';
 * export const session = nextSessions(createSessionManager<{ user?: string }>({ secret }), { cookies });
 * // app/api/me/route.ts
 * export const GET = session.route(async (request, s) => Response.json({ user: s.get('user') ?? null }));
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function nextSessions<Data extends Record<string, unknown> = Record<string, any>>(
  sessions: SessionManager<Data>,
  options: NextSessionsOptions = {},
): NextSessions<Data> {
  if (typeof sessions?.open !== 'function') throw new TypeError('nextSessions(sessions): expected a SessionManager from createSessionManager');
  const { cookies, headers } = options;
  if (cookies !== undefined && typeof cookies !== 'function') throw new TypeError('"cookies" expected the cookies function from next/headers');
  if (headers !== undefined && typeof headers !== 'function') throw new TypeError('"headers" expected the headers function from next/headers');
  const trustProxy = sessions.options.trustProxy;
  const store = async (): Promise<NextCookieStore> => {
    if (cookies === undefined) throw new TypeError('nextSessions: pass { cookies } from next/headers to use action() and read()');
    return cookies();
  };
  const requestHeaders = async (): Promise<HeaderSource | undefined> => (headers === undefined ? undefined : headers());

  return {
    route: (handler) => async (request, context) => {
      const pending = new Headers();
      const session = await sessions.open(request, pending);
      const response = await handler(request, session, context);
      await session.commit();
      return withSetCookies(response, pending.getSetCookie());
    },
    action: (action) => async (...args) => {
      const session = await sessions.open(jarExchange(await store(), await requestHeaders(), trustProxy, true));
      const result = await action(session, ...args);
      await session.commit();
      return result;
    },
    read: async () => sessions.open(jarExchange(await store(), await requestHeaders(), trustProxy, false)),
    middleware: async (request, handler) => {
      const pending = new Headers();
      const session = await sessions.open(request, pending);
      const response = await handler(session);
      await session.commit();
      for (const line of pending.getSetCookie()) writeLine(response, line);
      return response;
    },
  };
}

type HeaderSource = NextHeaderSource;

/**
 * The exchange over a Next.js cookie store: cookies are read from it and written to it; other request
 * headers come from `headers()` when given.
 */
function jarExchange(jar: NextCookieStore, headers: HeaderSource | undefined, trustProxy: boolean, writable: boolean): HttpExchange {
  const header = (name: string): string | undefined => headers?.get(name) ?? undefined;
  const readOnly = (): SessionError =>
    new SessionError('HEADERS_SENT', 'a Server Component cannot set cookies: save the session in a Server Action, a Route Handler or middleware');
  return {
    cookieHeader: () => {
      const all = jar.getAll();
      return all.length === 0 ? undefined : all.map((c) => `${c.name}=${c.value}`).join('; ');
    },
    requestHeader: header,
    remoteAddress: () => (trustProxy ? header('x-forwarded-for')?.split(',', 1)[0]?.trim() || undefined : undefined),
    scheme: () => (trustProxy ? header('x-forwarded-proto')?.split(',', 1)[0]?.trim().toLowerCase() || undefined : undefined),
    assertWritable: () => {
      if (!writable) throw readOnly();
    },
    setCookie: (_name, line) => {
      if (!writable) throw readOnly();
      const [name, value, cookieOptions] = parseSetCookie(line);
      try {
        jar.set(name, value, cookieOptions);
      } catch (cause) {
        throw new SessionError('HEADERS_SENT', 'Next.js refused to set the session cookie here (cookies are read-only while a Server Component renders)', { cause });
      }
    },
    setResponseHeader: () => {
      // A cookie store carries no other response headers; session headers need a Route Handler or middleware.
    },
    setRequestHeader: () => {},
  };
}

/** Writes one Set-Cookie line onto a middleware response, through `response.cookies` when it has them. */
function writeLine(response: NextMiddlewareResponse, line: string): void {
  const jar = response.cookies;
  if (jar === undefined) {
    response.headers.append('set-cookie', line);
    return;
  }
  const [name, value, cookieOptions] = parseSetCookie(line);
  jar.set(name, value, cookieOptions);
}

/**
 * The response with the session's Set-Cookie lines added. A Route Handler may return an immutable
 * response (`Response.redirect()`, a proxied `fetch()`); it is then copied.
 */
function withSetCookies(response: Response, lines: readonly string[]): Response {
  if (lines.length === 0) return response;
  try {
    for (const line of lines) response.headers.append('set-cookie', line);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const line of lines) copy.headers.append('set-cookie', line);
    return copy;
  }
}

const SAME_SITE: Record<string, NextCookieOptions['sameSite']> = { lax: 'lax', strict: 'strict', none: 'none' };
const PRIORITY: Record<string, NextCookieOptions['priority']> = { low: 'low', medium: 'medium', high: 'high' };

/**
 * Splits a Set-Cookie line that the core wrote into Next.js' `(name, value, options)`. The lines are
 * ours (validated names and base64url values), so this reads only the attributes the core writes.
 */
export function parseSetCookie(line: string): [name: string, value: string, options: NextCookieOptions] {
  const parts = line.split('; ');
  const first = parts[0]!;
  const eq = first.indexOf('=');
  const options: NextCookieOptions = {};
  for (const part of parts.slice(1)) {
    const i = part.indexOf('=');
    const key = (i < 0 ? part : part.slice(0, i)).toLowerCase();
    const value = i < 0 ? '' : part.slice(i + 1);
    if (key === 'path') options.path = value;
    else if (key === 'domain') options.domain = value;
    else if (key === 'max-age') options.maxAge = Number(value);
    else if (key === 'expires') options.expires = new Date(value);
    else if (key === 'secure') options.secure = true;
    else if (key === 'httponly') options.httpOnly = true;
    else if (key === 'partitioned') options.partitioned = true;
    else if (key === 'samesite') {
      const sameSite = SAME_SITE[value.toLowerCase()];
      if (sameSite !== undefined) options.sameSite = sameSite;
    } else if (key === 'priority') {
      const priority = PRIORITY[value.toLowerCase()];
      if (priority !== undefined) options.priority = priority;
    }
  }
  return [first.slice(0, eq), first.slice(eq + 1), options];
}

