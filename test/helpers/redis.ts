/**
 * Redis for the tests: the shared server at REDIS_URL, and throw-away `redis-server` processes (single,
 * Cluster, Sentinel) on free loopback ports, each stopped and its directory removed afterwards.
 *
 * When Redis is unavailable the tests skip with a hint, except on CI (`CI=true`), where a missing Redis
 * must fail the run rather than silently skip the store's tests.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** The shared server's URL: `REDIS_URL`, default `redis://127.0.0.1:6379`. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A reply Redis sent as an error (`-ERR ...`): the server is reachable, the command failed. */
export class RedisReplyError extends Error {}

/** Where a raw command goes. */
export interface Target {
  host?: string;
  port: number;
  username?: string;
  password?: string;
}

/**
 * Sends one command over a fresh connection with a minimal RESP2 codec (no client library involved, so
 * it also works while a client under test is misbehaving). Rejects on timeout, network or reply errors.
 */
export function command(target: Target | number, args: readonly string[], timeoutMs = 2000): Promise<unknown> {
  const t = typeof target === 'number' ? { port: target } : target;
  const commands: string[][] = [];
  if (t.password !== undefined) commands.push(t.username ? ['AUTH', t.username, t.password] : ['AUTH', t.password]);
  commands.push([...args]);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: t.host ?? '127.0.0.1', port: t.port });
    let buffer = Buffer.alloc(0);
    const replies: unknown[] = [];
    const done = (err: Error | undefined, value?: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`no reply from 127.0.0.1:${t.port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => done(err));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let parsed = parseReply(buffer, 0); parsed !== undefined; parsed = parseReply(buffer, 0)) {
        buffer = buffer.subarray(parsed[1]);
        replies.push(parsed[0]);
        if (parsed[0] instanceof RedisReplyError) return done(parsed[0]);
        if (replies.length === commands.length) return done(undefined, parsed[0]);
      }
    });
    socket.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''));
  });
}

/** Parses one RESP2 reply at `i`: `[value, next offset]`, or undefined while incomplete. */
function parseReply(buf: Buffer, i: number): [unknown, number] | undefined {
  const eol = buf.indexOf('\r\n', i);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', i + 1, eol);
  let next = eol + 2;
  switch (buf[i]) {
    case 0x2b: // '+'
      return [line, next];
    case 0x2d: // '-'
      return [new RedisReplyError(line), next];
    case 0x3a: // ':'
      return [Number(line), next];
    case 0x24: {
      // '$'
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case 0x2a: {
      // '*'
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: unknown[] = [];
      for (let k = 0; k < n; k++) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        out.push(item[0]);
        next = item[1];
      }
      return [out, next];
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[i]}`);
  }
}

/** REDIS_URL as a {@link Target}, and a printable address without credentials. */
export function redisTarget(): Target & { address: string } {
  const url = new URL(redisUrl());
  const port = Number(url.port || 6379);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const out: Target & { address: string } = { host, port, address: `${url.protocol}//${url.host}` };
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  if (url.username !== '') out.username = decodeURIComponent(url.username);
  return out;
}

/** REDIS_URL as ioredis connection options (`host`, `port` and any credentials). */
export function ioredisTarget(): { host: string; port: number; username?: string; password?: string } {
  const { address: _address, host = '127.0.0.1', ...rest } = redisTarget();
  return { host, ...rest };
}

/** On CI a missing prerequisite fails the run; elsewhere the tests skip with `reason`. */
export function skipOrFail(reason: string): string {
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true: refusing to skip)`);
  return reason;
}

/** Why the REDIS_URL tests must skip, or undefined when the server answers (throws on CI). */
export async function redisSkipReason(): Promise<string | undefined> {
  const target = redisTarget();
  try {
    await command(target, ['PING'], 1000);
    return undefined;
  } catch (err) {
    if (err instanceof RedisReplyError) return undefined; // e.g. NOAUTH: reachable, the client will log in
    return skipOrFail(`Redis not reachable at ${target.address} — start redis-server or set REDIS_URL=redis://host:port to run these tests`);
  }
}

/** Skips `t` (or fails on CI) when REDIS_URL does not answer; returns whether the test may run. */
export async function requireRedis(t: TestContext): Promise<boolean> {
  const reason = await redisSkipReason();
  if (reason === undefined) return true;
  t.skip(reason);
  return false;
}

let hasServer: boolean | undefined;
/** Why tests needing a `redis-server` binary must skip, or undefined when it is installed (throws on CI). */
export function redisServerSkipReason(): string | undefined {
  const runs = (bin: string): boolean => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
  hasServer ??= runs('redis-server') && runs('redis-cli');
  if (hasServer) return undefined;
  return skipOrFail('redis-server / redis-cli not installed — install Redis 7 (redis-server and redis-cli on PATH) to run these tests');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Thrown by a `waitFor` check to give up at once (the process being waited for died). */
export class GiveUp extends Error {}

/** Polls `check` until it returns true; rejects with `what` (and the last error) after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Whether nothing listens on 127.0.0.1:`port` (binding it succeeds). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on (the OS's choice, released again). Also a "closed port" for failure tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Kills every child still running if the test process exits abruptly, so no server outlives the run. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A running throw-away server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Kills the process (SIGKILL by default: a crash) and waits for it; keeps the directory. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes the directory unless it was given. */
  stop(): Promise<void>;
}

/** Waits until `child` has exited; resolves false after `timeoutMs` if it has not. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Spawns `redis-server argv` and waits until `port` answers PING (or the process dies). */
async function spawnServer(argv: string[], port: number, dir: string, ownsDir: boolean): Promise<RedisServer> {
  const child = spawn('redis-server', argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('exit', () => children.delete(child));
  let spawnError: Error | undefined;
  child.once('error', (err) => void (spawnError = err)); // e.g. ENOENT: reported by the PING wait below
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    child.kill(signal);
    if (!(await exited(child, 5000))) {
      child.kill('SIGKILL');
      await exited(child, 5000);
    }
  };
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    async stop() {
      await kill('SIGTERM');
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(`redis-server on port ${port}`, async () => {
      if (spawnError !== undefined) throw new GiveUp(`redis-server did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`redis-server exited: ${output.trim().split('\n').slice(-3).join(' | ')}`);
      return (await command(port, ['PING'], 500)) === 'PONG';
    }, 10_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Starts a throw-away `redis-server` on 127.0.0.1 with no persistence (unless `args` turn it on), in a
 * temporary directory (or `dir`, which is then kept), on a free port (or `port`, to restart a server).
 * A port taken between choosing and binding it is retried with another one.
 */
export async function startRedisServer(args: readonly string[] = [], options: { port?: number; dir?: string } = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'httpsession-redis-')));
    const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args];
    try {
      return await spawnServer(argv, port, dir, options.dir === undefined);
    } catch (err) {
      if (options.port !== undefined || attempt === 3) throw err;
    }
  }
}

/** A running three-master cluster. */
export interface RedisClusterServers {
  readonly nodes: readonly RedisServer[];
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

/** Three ports p whose cluster bus ports p + 10000 are free too. */
async function clusterPorts(): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < 3) {
    const p = 20_000 + Math.floor(Math.random() * 20_000);
    if (!ports.includes(p) && (await portFree(p)) && (await portFree(p + 10_000))) ports.push(p);
  }
  return ports;
}

/**
 * Starts a cluster of three masters (no replicas), joined with `redis-cli --cluster create`, and waits
 * until every node reports `cluster_state:ok`. One failed attempt (a port race) is retried.
 */
export async function startCluster(): Promise<RedisClusterServers> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'httpsession-cluster-'));
    const nodes: RedisServer[] = [];
    const stop = async (): Promise<void> => {
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    };
    try {
      const ports = await clusterPorts();
      for (const port of ports) {
        const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000'];
        nodes.push(await startRedisServer(args, { port, dir }));
      }
      await new Promise<void>((resolve, reject) => {
        const argv = ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'];
        execFile('redis-cli', argv, { timeout: 30_000 }, (err, _out, stderr) => {
          if (err) reject(new Error(`redis-cli --cluster create: ${stderr || err.message}`));
          else resolve();
        });
      });
      await waitFor('cluster_state:ok on every node', async () => {
        const infos = await Promise.all(ports.map((p) => command(p, ['CLUSTER', 'INFO'], 1000)));
        return infos.every((i) => String(i).includes('cluster_state:ok') && String(i).includes('cluster_known_nodes:3'));
      }, 30_000, 100);
      return { nodes, ports, stop };
    } catch (err) {
      await stop();
      if (attempt === 2) throw err;
    }
  }
}

/** A running master, replica and sentinel monitoring them as `mymaster`. */
export interface SentinelServers {
  readonly name: 'mymaster';
  readonly master: RedisServer;
  readonly replica: RedisServer;
  readonly sentinel: RedisServer;
  stop(): Promise<void>;
}

/** Starts a master, a replica of it and one sentinel (quorum 1); waits until the sentinel knows the master. */
export async function startSentinel(): Promise<SentinelServers> {
  const started: RedisServer[] = [];
  const stop = async (): Promise<void> => void (await Promise.all(started.map((s) => s.stop())));
  try {
    const master = await startRedisServer();
    started.push(master);
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)]);
    started.push(replica);
    await waitFor('the replica to sync', async () => String(await command(replica.port, ['INFO', 'replication'])).includes('master_link_status:up'), 15_000, 100);
    const dir = await mkdtemp(join(tmpdir(), 'httpsession-sentinel-'));
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
      'sentinel down-after-milliseconds mymaster 1000',
    ];
    await writeFile(conf, `${lines.join('\n')}\n`);
    const sentinel = await spawnServer([conf, '--sentinel'], port, dir, true);
    started.push(sentinel);
    await waitFor('the sentinel to report mymaster', async () => {
      const addr = await command(port, ['SENTINEL', 'get-master-addr-by-name', 'mymaster'], 1000);
      return Array.isArray(addr) && addr[1] === String(master.port);
    }, 15_000, 100);
    return { name: 'mymaster', master, replica, sentinel, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sum of `calls=` over `INFO commandstats`, leaving out the commands named in `except` (lower case). */
export async function commandCalls(port: number, except: readonly string[] = ['info', 'config']): Promise<number> {
  const info = String(await command(port, ['INFO', 'commandstats']));
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    if (!except.includes(m[1]!.split('|')[0]!)) total += Number(m[2]);
  }
  return total;
}

/** Calls per command from `INFO commandstats` (`'set'`, `'expire'`, ...), leaving out those named in `except`. */
export async function commandStats(port: number, except: readonly string[] = ['info', 'config']): Promise<Map<string, number>> {
  const info = String(await command(port, ['INFO', 'commandstats']));
  const stats = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    if (!except.includes(m[1]!.split('|')[0]!)) stats.set(m[1]!, Number(m[2]));
  }
  return stats;
}
