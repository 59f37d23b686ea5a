/**
 * What the report says about where it ran: the machine, the runtime, and the versions of everything
 * measured.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The machine and software a run measured. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** ISO date-time of the run. */
  readonly date: string;
  /** The checkout's commit, `+ local changes` when tracked files differ from it, or `unknown`. */
  readonly commit: string;
  /** Package name -> installed version: httpsession and every peer. */
  readonly versions: Record<string, string>;
}

/** The peers whose versions the report lists (all devDependencies of bench/package.json, and a few of theirs). */
export const PEERS = [
  'autocannon',
  'express',
  'express-session',
  'connect-redis',
  'redis',
  'iron-session',
  'cookie-session',
  'fastify',
  '@fastify/secure-session',
  '@fastify/cookie',
  '@fastify/session',
  'sodium-native',
  'hono',
  '@hono/node-server',
  'hono-sessions',
  '@hono/session',
  'koa',
  'koa-session',
  'h3',
  'next',
  'react',
] as const;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));

/** Collects the machine and version info. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const versions: Record<string, string> = { httpsession: versionAt(`${ROOT}package.json`) };
  for (const name of PEERS) versions[name] = versionAt(`${BENCH}node_modules/${name}/package.json`);
  return {
    cpu: cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: gitDescribe(),
    versions,
  };
}

function versionAt(file: string): string {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

/** Read-only git queries: GIT_OPTIONAL_LOCKS=0 keeps `status` from refreshing (writing) the index. */
function gitDescribe(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit} + local changes`;
  } catch {
    return 'unknown';
  }
}
