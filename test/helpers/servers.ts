/**
 * Throw-away database servers for the fault tests (PostgreSQL, MariaDB, memcached): each its own process
 * group on 127.0.0.1 and a free port, in a temporary directory, so a test can stall (SIGSTOP), crash
 * (SIGKILL) and restart it without touching the shared servers other tests use.
 *
 * Servers that refuse to run as root (postgres, mariadbd without --user) are started as their system
 * user through `setpriv`, which execs in place: the pid we hold is the server's own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, GiveUp, waitFor } from './redis.ts';

/** Every group still running is killed if the test process exits abruptly. */
const groups = new Set<number>();
process.once('exit', () => {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
});

/**
 * Signals the group led by `pid` and every descendant of `pid`: PostgreSQL's backends call setsid(), so
 * they leave the group, and a stalled server must stall them too.
 */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  const send = (target: number): void => {
    try {
      process.kill(target, signal);
    } catch {
      /* already gone */
    }
  };
  send(-pid);
  for (const child of descendants(pid)) send(child);
}

/** The pids descending from `pid`, from `ps`. */
function descendants(pid: number): number[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  const children = new Map<number, number[]>();
  for (const line of out.stdout?.split('\n') ?? []) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined || !Number.isFinite(child)) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A system user's uid and gid, or undefined when it does not exist. */
export function systemUser(name: string): { uid: number; gid: number } | undefined {
  const out = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (out.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(out.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A temporary directory, owned by `user` when we run as root. */
export async function tempDir(label: string, user?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `httpsession-${label}-`));
  const owner = user !== undefined && process.getuid?.() === 0 ? systemUser(user) : undefined;
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Runs a command to completion as `user` (when root), rejecting with its output on failure. */
export function runAs(user: string | undefined, bin: string, args: readonly string[], timeoutMs = 120_000): Promise<void> {
  const [file, argv] = asUser(user, bin, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => void (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${bin} exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

function asUser(user: string | undefined, bin: string, args: readonly string[]): [string, string[]] {
  if (user === undefined || process.getuid?.() !== 0) return [bin, [...args]];
  return ['setpriv', [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', bin, ...args]];
}

/** A running throw-away server. */
export interface ServerProcess {
  readonly port: number;
  readonly dir: string;
  /** SIGSTOP to the whole group: the server accepts bytes but answers nothing. */
  pause(): void;
  /** SIGCONT: it goes on where it stopped. */
  resume(): void;
  /** SIGKILL to the whole group (a crash); waits for the exit. Keeps the directory. */
  kill(): Promise<void>;
  /** Stops the group (SIGTERM, then SIGKILL) and removes the directory unless `keepDir`. */
  stop(keepDir?: boolean): Promise<void>;
}

/**
 * Spawns a server in its own process group and waits until `ready()` says it answers.
 * @param spec - the binary, its arguments, the user to run it as, its port and directory, the readiness check
 */
export async function spawnServer(spec: {
  bin: string;
  args: readonly string[];
  user?: string | undefined;
  port: number;
  dir: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const [file, argv] = asUser(spec.user, spec.bin, spec.args);
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid!;
  groups.add(pid);
  let output = '';
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (err) => void (spawnError = err));
  const kill = async (): Promise<void> => {
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGKILL');
    await exited(child, 10_000);
    groups.delete(pid);
    // Children of the group (backends) may outlive the leader for a moment.
    await new Promise((r) => setTimeout(r, 100));
  };
  const server: ServerProcess = {
    port: spec.port,
    dir: spec.dir,
    pause: () => signalGroup(pid, 'SIGSTOP'),
    resume: () => signalGroup(pid, 'SIGCONT'),
    kill,
    async stop(keepDir = false) {
      signalGroup(pid, 'SIGCONT');
      signalGroup(pid, 'SIGTERM');
      if (!(await exited(child, 10_000))) await kill();
      groups.delete(pid);
      if (!keepDir) await rm(spec.dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(`${spec.bin} on port ${spec.port}`, async () => {
      if (spawnError !== undefined) throw new GiveUp(`${spec.bin} did not start: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`${spec.bin} exited: ${output.trim().split('\n').slice(-3).join(' | ')}`);
      return spec.ready();
    }, spec.timeoutMs ?? 60_000, 100);
  } catch (err) {
    await server.stop(true);
    throw err;
  }
  return server;
}

/** Whether `bin --version` (or the given arguments) runs. */
export function runs(bin: string, args: readonly string[] = ['--version']): boolean {
  return spawnSync(bin, [...args], { stdio: 'ignore' }).status === 0;
}
