/**
 * What every benchmark server shares: the secret, the reply, and the IPC protocol with the harness.
 *
 * A server is one small file run in a child process (`fork`), so that the load generator in the parent and
 * the server under test never share a thread or an event loop. It listens on 127.0.0.1 and an ephemeral
 * port, then tells the parent over IPC:
 *
 * - child -> parent `{ type: 'ready', port, info }` once listening (`info`: versions worth reporting);
 * - parent -> child `{ type: 'cpu', id }`, answered with `{ type: 'cpu', id, micros }`: the process's
 *   user + system CPU time so far (every thread: JS, GC, libuv), so the parent can take deltas;
 * - parent -> child `{ type: 'stop' }`: close, run the cleanup hook, exit.
 *
 * Every server does the same work per request: read a counter from the session, increment it, save,
 * reply `String(n)` as text/plain (the read-only case reads and replies).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';

/** The secret every case uses (48 characters: above every library's minimum). */
export const SECRET = 'bench-secret-4f8a9c1e7b2d6e0a3c5f9b8d7e6a1c2b4d';

/** Where the Redis cases connect: a database of its own, so the bench never meets the tests' keys. */
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

/** Where the PostgreSQL cases connect (trust auth on the test machine). */
export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where the memcached cases connect (memjs / memcached server lists). */
export const MEMCACHED_SERVERS = process.env.BENCH_MEMCACHED_SERVERS ?? '127.0.0.1:11211';

/** Where the MySQL/MariaDB cases connect. */
export const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/**
 * A table name of one SQL bench server: its own per process (tests and other runs share the server), and
 * dropped again on stop.
 * @param label - who the table is for, e.g. `'httpsession'`
 */
export function sqlBenchTable(label: string): string {
  return `bench_${label}_${process.pid}`;
}

/** Key prefix of every Redis record the bench writes, removed again on stop. */
export const REDIS_PREFIX = 'httpsession-bench';

/** Messages from the parent. */
export type ParentMessage =
  | { type: 'cpu'; id: number }
  | { type: 'profile'; id: number; action: 'start' }
  | { type: 'profile'; id: number; action: 'stop'; file: string }
  | { type: 'stop' };

/** Messages to the parent. */
export type ChildMessage =
  | { type: 'ready'; port: number; info: Record<string, string> }
  | { type: 'cpu'; id: number; micros: number }
  | { type: 'profiled'; id: number; error?: string }
  | { type: 'failed'; message: string };

/** What a server file hands to {@link serve}. */
export interface ServeOptions {
  /** Versions or settings to show in the report (e.g. the Redis server version). */
  info?: Record<string, string>;
  /** Runs on stop, after the server closed: disconnect clients, delete records. */
  cleanup?: () => Promise<void>;
}

/** Sends the counter as the response body, the same way in every node:http case. */
export function reply(res: http.ServerResponse, n: number): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(String(n));
}

/**
 * Serves a `node:http` request handler; an exception becomes a 500 (the harness counts non-2xx).
 * @param handler - the per-request work
 * @param options - report info and cleanup
 */
export async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void,
  options: ServeOptions = {},
): Promise<void> {
  let reported = false;
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!reported) {
          reported = true; // once: a failing case must not flood the parent's terminal
          console.error(`bench server ${process.argv[1]}: ${error instanceof Error ? error.stack : String(error)}`);
        }
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  await listen(server);
  await serveListening(server, options);
}

/** Listens on 127.0.0.1 and an ephemeral port. */
export function listen(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/**
 * Reports an already listening server to the parent and answers its messages. For frameworks that own
 * their server (Fastify).
 * @param server - a listening server
 * @param options - report info and cleanup
 * @param close - how to close it; default `server.close()`
 */
export async function serveListening(
  server: http.Server,
  options: ServeOptions = {},
  close: () => Promise<void> = () => closeServer(server),
): Promise<void> {
  const port = (server.address() as AddressInfo).port;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', id: message.id, micros: user + system });
    } else if (message.type === 'profile') {
      profile(message).then(
        () => send({ type: 'profiled', id: message.id }),
        (error: unknown) => send({ type: 'profiled', id: message.id, error: String(error) }),
      );
    } else if (message.type === 'stop') {
      void stop(close, options.cleanup);
    }
  });
  // The parent went away (Ctrl-C, crash): do not linger.
  process.on('disconnect', () => void stop(close, options.cleanup));
  send({ type: 'ready', port, info: options.info ?? {} });
}

let inspector: Session | undefined;

/**
 * Starts V8's sampling profiler in this process, or stops it and writes the `.cpuprofile` (the format
 * Chrome DevTools opens) to `file`: the profile section of the bench profiles only the measured load.
 */
async function profile(message: Extract<ParentMessage, { type: 'profile' }>): Promise<void> {
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => inspector!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  if (message.action === 'start') {
    inspector ??= new Session();
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    return;
  }
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  inspector?.disconnect();
  writeFileSync(message.file, JSON.stringify(profile));
}

let stopping = false;

async function stop(close: () => Promise<void>, cleanup: (() => Promise<void>) | undefined): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await close();
    await cleanup?.();
  } finally {
    process.exit(0);
  }
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function send(message: ChildMessage): void {
  if (process.send === undefined) {
    // Run by hand (`node --import tsx bench/servers/bare.ts`): just say where it listens.
    if (message.type === 'ready') console.log(`listening on http://127.0.0.1:${message.port}/`);
    return;
  }
  process.send(message);
}

/**
 * Runs a server file's main function, reporting a startup failure (no Redis, missing module) to the
 * parent instead of a stack trace, so the case is reported as skipped with the reason.
 */
export function main(run: () => Promise<void>): void {
  run().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (process.send !== undefined) process.send({ type: 'failed', message } satisfies ChildMessage, () => process.exit(1));
    else {
      console.error(message);
      process.exit(1);
    }
  });
}

/** Deletes every Redis key under {@link REDIS_PREFIX} (the client is any node-redis v5 client). */
export async function deleteBenchKeys(client: {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  unlink(keys: string[]): Promise<unknown>;
}): Promise<void> {
  for await (const keys of client.scanIterator({ MATCH: `${REDIS_PREFIX}*`, COUNT: 1000 })) {
    if (keys.length > 0) await client.unlink(keys);
  }
}
