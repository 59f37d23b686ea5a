/**
 * Helpers for the framework adapter tests: a real framework app served on 127.0.0.1 port 0, a browser-like
 * client with a cookie jar over real HTTP, and runnable examples started in a child process.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from './http.ts';
import { freePort, waitFor } from './redis.ts';

/** A listening server and how to stop it. */
export interface Served {
  readonly base: string;
  close(): Promise<void>;
}

/**
 * Serves a request listener (an Express app, `koa.callback()`) on 127.0.0.1 and a free port.
 * @param listener - the framework's request listener
 */
export async function serve(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A response as the client saw it. */
export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly setCookies: string[];
  readonly headers: Headers;
}

/** A browser-like client: keeps the cookies the server sets and sends them back; never follows redirects. */
export class Client {
  readonly jar = new CookieJar();
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  /**
   * Sends a request with the jar's cookies and applies the Set-Cookie lines of the response.
   * @param path - e.g. `/count`
   * @param init - method, extra headers; `cookie` replaces the jar's Cookie header
   */
  async request(path: string, init: { method?: string; cookie?: string; base?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    const cookie = init.cookie ?? this.jar.header();
    if (cookie !== undefined) headers.cookie = cookie;
    const res = await fetch(`${init.base ?? this.base}${path}`, { method: init.method ?? 'GET', headers, redirect: 'manual' });
    const body = await res.text();
    const setCookies = res.headers.getSetCookie();
    this.jar.update(setCookies);
    return { status: res.status, body, setCookies, headers: res.headers };
  }

  get(path: string, base?: string): Promise<Reply> {
    return this.request(path, base === undefined ? {} : { base });
  }

  post(path: string): Promise<Reply> {
    return this.request(path, { method: 'POST' });
  }
}

/**
 * Runs an example file (`examples/<name>.ts`) in a child process with `PORT` set, waits until it answers,
 * and returns its base URL and how to stop it.
 * @param file - path relative to the repository root
 * @param env - extra environment
 */
export async function runExample(file: string, env: Record<string, string> = {}): Promise<Served> {
  const port = await freePort();
  const root = new URL('../../', import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => void (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => void (output += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    });
  try {
    await waitFor(`${file} to listen`, async () => {
      if (child.exitCode !== null) throw new Error(`${file} exited: ${output}`);
      await fetch(base);
      return true;
    }, 20_000, 100);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, close: stop };
}

/**
 * Collects unhandled rejections and uncaught exceptions while `fn` runs (a crashing adapter would show
 * here instead of taking the test process down).
 */
export async function noStrayErrors<T>(fn: () => Promise<T>): Promise<{ result: T; stray: unknown[] }> {
  const stray: unknown[] = [];
  const onError = (err: unknown): void => void stray.push(err);
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 50));
    return { result, stray };
  } finally {
    process.off('unhandledRejection', onError);
    process.off('uncaughtException', onError);
  }
}
