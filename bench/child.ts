/**
 * Starts a benchmark server in a child process and talks to it over IPC (protocol in servers/common.ts).
 * Used by the HTTP benchmark and by the smoke test; imports no peer.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './servers/common.ts';

/** A running server process. */
export interface ServerProcess {
  /** The port it listens on, at 127.0.0.1. */
  readonly port: number;
  /** Whatever the server reported (e.g. the Redis version). */
  readonly info: Record<string, string>;
  readonly pid: number;
  /** The child's user + system CPU time so far, in microseconds. */
  cpuMicros(): Promise<number>;
  /** Starts the child's CPU profiler, or stops it and writes the `.cpuprofile` to `file`. */
  profile(action: 'start' | 'stop', file?: string): Promise<void>;
  /** Asks the child to close and clean up; resolves once it exited (killed after 5 s). */
  stop(): Promise<void>;
}

/** The tsx loader, resolved from here so a child starts the same way whatever the working directory. */
const TSX = import.meta.resolve('tsx');

/**
 * Forks `bench/servers/<name>.ts` and waits until it listens.
 * @param name - the server file's name, without `.ts`
 * @param timeoutMs - how long to wait for it to listen
 * @param nodeOptions - more Node flags for the child (the profile section passes `--cpu-prof`)
 * @returns the running server
 * @throws Error with the child's own message when it fails to start (no Redis, a missing module, ...)
 */
export async function startServer(name: string, timeoutMs = 20_000, nodeOptions: readonly string[] = []): Promise<ServerProcess> {
  const file = fileURLToPath(new URL(`./servers/${name}.ts`, import.meta.url));
  if (!existsSync(file)) throw new Error(`no server file bench/servers/${name}.ts`);
  // Explicit execArgv: never inherit the parent's (under `node --test` they are the runner's).
  const child = fork(file, [], {
    execArgv: [...nodeOptions, '--import', TSX],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; info: Record<string, string> }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (error: Error | undefined, value?: { port: number; info: Record<string, string> }): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'ready') done(undefined, { port: message.port, info: message.info });
      else if (message.type === 'failed') done(new Error(message.message));
    };
    const onExit = (code: number | null, signal: string | null): void => done(new Error(`${name} exited (${signal ?? code}) before listening`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
  return handle(child, ready.port, ready.info);
}

function handle(child: ChildProcess, port: number, info: Record<string, string>): ServerProcess {
  let nextId = 0;
  const pending = new Map<number, (micros: number) => void>();
  const profiling = new Map<number, (error: string | undefined) => void>();
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'cpu') {
      pending.get(message.id)?.(message.micros);
      pending.delete(message.id);
    } else if (message.type === 'profiled') {
      profiling.get(message.id)?.(message.error);
      profiling.delete(message.id);
    }
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const send = (message: ParentMessage): void => {
    if (child.connected) child.send(message);
  };
  return {
    port,
    info,
    pid: child.pid!,
    cpuMicros() {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`server ${child.pid} is gone`));
        pending.set(id, resolve);
        send({ type: 'cpu', id });
      });
    },
    profile(action, file) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`server ${child.pid} is gone`));
        profiling.set(id, (error) => (error === undefined ? resolve() : reject(new Error(error))));
        send(action === 'start' ? { type: 'profile', id, action } : { type: 'profile', id, action, file: file! });
      });
    },
    async stop() {
      send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
