/**
 * The pinned mode (`BENCH_ONLY=pinned npm run bench`, issue 13): the session's own cost under real HTTP load,
 * with the server and the load generator each on a core of its own, so neither steals the other's time.
 *
 * - every server runs in a child process pinned to CPU 0 (`taskset -a -p -c 0`: all its threads, and the
 *   ones it starts later inherit it); autocannon runs in this process, pinned to CPU 1 for the mode;
 * - five cases: bare `node:http`, httpsession with cookie storage saving every request, httpsession
 *   read-only, a hand-rolled HKDF + AES-256-GCM cookie on node:crypto (servers/hkdf-aes-gcm.ts) and
 *   express-session's MemoryStore; 50 connections, `BENCH_DURATION` s per case (5 by default here),
 *   `BENCH_ROUNDS` interleaved rounds, medians;
 * - each connection keeps a cookie jar (jar.ts) and checks the counter in every body moves by the case's step,
 *   so the cookie really is replayed: a case with a response whose counter did not move fails (reported as
 *   such, and the run exits non-zero);
 * - server CPU per request: user + system of the server process over the measured run (`process.cpuUsage()`
 *   in the child, read over IPC), over the responses; the session's share is that minus bare's;
 * - the in-process micro-benchmark of the same work (micro.ts, `manager: open + increment + save` and the
 *   read-only `start()`, node:crypto), run in this process on CPU 0 once per round while the servers idle,
 *   timed in this process's CPU time (user + system, like the servers' figures, so a neighbour on the core
 *   does not inflate it), and the ratio of the HTTP figure to it: how far the micro flatters.
 *
 * Without taskset or with fewer than two CPUs the mode still runs, unpinned, and says so.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import type { HttpCase } from './cases.ts';
import { startServer, type ServerProcess } from './child.ts';
import type { HttpCaseResult } from './http.ts';
import { runMicro } from './micro.ts';
import { median } from './stats.ts';

/** The pinned mode's cases, in the order every round runs them. */
export const PINNED_CASES: readonly HttpCase[] = [
  { id: 'bare', label: 'bare node:http (no session)', group: 'limit', step: undefined, note: 'the limit: replies a process-wide counter' },
  { id: 'httpsession-cookie', label: 'httpsession, cookie storage, write every request', group: 'httpsession', step: 1, note: 'open, increment, save' },
  { id: 'httpsession-readonly', label: 'httpsession, read-only', group: 'httpsession', step: 0, note: '`start()`, nothing due, no Set-Cookie' },
  { id: 'hkdf-aes-gcm', label: 'hand-rolled HKDF + AES-256-GCM cookie (node:crypto)', group: 'peer', step: 1, note: 'servers/hkdf-aes-gcm.ts' },
  { id: 'express-session-memory', label: 'express-session, MemoryStore', group: 'peer', step: 1, note: 'in Express 5' },
];

/** The micro-benchmark operations the HTTP cases are compared with (micro.ts). */
export const MICRO_WRITE = 'manager: open + increment + save (cookie storage, no HTTP)';
export const MICRO_READ = 'manager: start, read-only (no HTTP)';

/** Settings of {@link runPinned}. */
export interface PinnedOptions {
  readonly durationS: number;
  readonly warmupS: number;
  readonly rounds: number;
  readonly connections: number;
  /** Milliseconds per micro case and round. */
  readonly microRoundMs: number;
  readonly log: (line: string) => void;
  /** The cases (default {@link PINNED_CASES}); a comparison of two builds adds its own. */
  readonly cases?: readonly HttpCase[];
}

/** What the pinned mode measured. */
export interface PinnedResult {
  /** `taskset` pinning as described, or why it ran unpinned. */
  readonly pinning: { readonly server: string; readonly client: string } | { readonly unpinned: string };
  readonly durationS: number;
  readonly rounds: number;
  readonly connections: number;
  /** The 1-minute load average when the mode started (other work on the machine shows here). */
  readonly loadAverage?: number;
  readonly cases: HttpCaseResult[];
  /** Medians of the micro rounds, µs per operation, and every round's figure. */
  readonly micro: { readonly writeMicros: number; readonly readMicros: number; readonly writeSamples: number[]; readonly readSamples: number[] };
}

/** The figures the targets of issue 13 are judged on, from a {@link PinnedResult}. */
export interface PinnedFigures {
  /** Server CPU µs per request of the write case minus bare's. */
  readonly writeOverBare: number | undefined;
  /** The same for the read-only case. */
  readonly readOverBare: number | undefined;
  /** `writeOverBare` over the micro's µs per write. */
  readonly httpOverMicro: number | undefined;
  readonly readHttpOverMicro: number | undefined;
}

/**
 * Computes the session's share over bare and the HTTP ÷ micro ratios.
 * @param p - a pinned run
 * @returns the figures, `undefined` where a case did not run
 */
export function pinnedFigures(p: PinnedResult): PinnedFigures {
  const cpu = (id: string): number | undefined => p.cases.find((r) => r.case.id === id && r.skipped === undefined)?.median?.cpuMicrosPerReq;
  const bare = cpu('bare');
  const over = (id: string): number | undefined => {
    const v = cpu(id);
    return v === undefined || bare === undefined ? undefined : v - bare;
  };
  const writeOverBare = over('httpsession-cookie');
  const readOverBare = over('httpsession-readonly');
  return {
    writeOverBare,
    readOverBare,
    httpOverMicro: writeOverBare === undefined ? undefined : writeOverBare / p.micro.writeMicros,
    readHttpOverMicro: readOverBare === undefined ? undefined : readOverBare / p.micro.readMicros,
  };
}

/**
 * Runs the pinned mode.
 * @param options - durations, rounds, connections, logger
 * @returns every case's samples and medians, and the micro figures
 */
export async function runPinned(options: PinnedOptions): Promise<PinnedResult> {
  const { measureCase, describe } = await import('./http.ts');
  const { log } = options;
  const loadAverage = loadavg()[0]!;
  const unpinned = whyUnpinned();
  const canPin = unpinned === undefined;
  const ownMask = canPin ? affinityMask(process.pid) : undefined;
  const results = (options.cases ?? PINNED_CASES).map<HttpCaseResult>((c) => ({ case: c, samples: [], median: undefined, problems: { errors: 0, non2xx: 0, stale: 0 }, skipped: undefined, info: {} }));
  const servers = new Map<string, ServerProcess>();
  const writeSamples: number[] = [];
  const readSamples: number[] = [];
  try {
    if (canPin) pin(process.pid, '1');
    for (const r of results) {
      try {
        const server = await startServer(r.case.id);
        if (canPin) pin(server.pid, '0');
        servers.set(r.case.id, server);
        r.info = server.info;
      } catch (error) {
        r.skipped = (error as Error).message;
        log(`pinned: ${r.case.label}: not run: ${r.skipped}`);
      }
    }
    log(`pinned: ${canPin ? 'servers on CPU 0, load generator on CPU 1' : `not pinned (${unpinned})`}`);
    for (let round = 1; round <= options.rounds; round++) {
      for (const r of results) {
        const server = servers.get(r.case.id);
        if (server === undefined || r.skipped !== undefined) continue;
        const sample = await measureCase(server, r.case, options);
        r.samples.push(sample);
        r.problems.errors += sample.errors;
        r.problems.non2xx += sample.non2xx;
        r.problems.stale += sample.stale;
        log(`pinned: round ${round}/${options.rounds} ${r.case.label}: ${describe(sample)}`);
        if (sample.stale > 0 || sample.non2xx > 0 || sample.responses === 0) {
          r.skipped = `FAILED in round ${round}: ${sample.stale} responses whose counter did not move by ${String(r.case.step)}, ${sample.non2xx} non-2xx, ${sample.responses} responses`;
          log(`pinned: ${r.case.label}: ${r.skipped}`);
        }
      }
      // The same work in-process, on the servers' core while they idle.
      if (canPin) pin(process.pid, '0');
      const micro = await runMicro({ rounds: 1, roundMs: options.microRoundMs, clock: 'cpu', select: (b, op) => b === 'node' && (op === MICRO_WRITE || op === MICRO_READ) });
      if (canPin) pin(process.pid, '1');
      writeSamples.push(micro.find((m) => m.operation === MICRO_WRITE)!.microsPerOp);
      readSamples.push(micro.find((m) => m.operation === MICRO_READ)!.microsPerOp);
      log(`pinned: round ${round}/${options.rounds} micro: write ${writeSamples.at(-1)!.toFixed(1)} µs, read-only ${readSamples.at(-1)!.toFixed(1)} µs`);
    }
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    if (ownMask !== undefined) restoreAffinity(process.pid, ownMask);
  }
  for (const r of results) {
    const s = r.samples;
    if (s.length === 0 || r.skipped !== undefined) continue;
    r.median = {
      reqPerSec: median(s.map((x) => x.reqPerSec)),
      p50Ms: median(s.map((x) => x.p50Ms)),
      p99Ms: median(s.map((x) => x.p99Ms)),
      cpuMicrosPerReq: median(s.map((x) => x.cpuMicrosPerReq)),
    };
  }
  const result: PinnedResult = {
    pinning: canPin ? { server: 'taskset -c 0', client: 'taskset -c 1' } : { unpinned: unpinned! },
    durationS: options.durationS,
    rounds: options.rounds,
    connections: options.connections,
    loadAverage,
    cases: results,
    micro: { writeMicros: median(writeSamples), readMicros: median(readSamples), writeSamples, readSamples },
  };
  const f = pinnedFigures(result);
  log(
    `pinned: write over bare ${fmt(f.writeOverBare)} µs (micro ${fmt(result.micro.writeMicros)} µs, HTTP ÷ micro ${fmt(f.httpOverMicro, 2)}×), read-only over bare ${fmt(f.readOverBare)} µs`,
  );
  return result;
}

/** Whether any case of a pinned run failed its counter check (or did not run). */
export function pinnedFailed(p: PinnedResult): boolean {
  return p.cases.some((r) => r.skipped !== undefined);
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** Why processes cannot be pinned here (one CPU, no taskset), or `undefined` when they can. */
export function whyUnpinned(): string | undefined {
  if (availableParallelism() < 2) return 'one CPU only';
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0 ? undefined : 'no taskset';
}

/**
 * Pins every thread of `pid` to `cpus` (a taskset CPU list); the threads it starts later inherit it.
 * @throws Error when taskset fails
 */
export function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${r.stderr.toString().trim()}`);
}

/** The affinity mask of `pid` as taskset prints it (hex), to restore it afterwards. */
export function affinityMask(pid: number): string | undefined {
  const out = spawnSync('taskset', ['-p', String(pid)], { encoding: 'utf8' }).stdout;
  return /mask:\s*([0-9a-f,]+)/i.exec(out ?? '')?.[1];
}

/** Gives `pid`'s threads back the mask {@link affinityMask} read. */
export function restoreAffinity(pid: number, mask: string): void {
  spawnSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
}
