/**
 * The HTTP benchmark: every case's server in its own child process, autocannon (programmatic) in this
 * one, on 127.0.0.1. Rounds are interleaved (A B C ... A B C ...) so that a noisy neighbour hits every
 * case alike, and the median of the rounds is reported.
 *
 * Each autocannon client replays the cookies it was given, as a browser would: it reads `Set-Cookie` from
 * every response's headers and rebuilds its request when a cookie changed. It also checks the counter in
 * every body moves by the case's step (1 when saved, 0 when read-only), which proves the replay works and
 * that no case skips its work.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import autocannon, { type Client } from 'autocannon';
import { startServer, type ServerProcess } from './child.ts';
import type { HttpCase } from './cases.ts';
import { CookieJar } from './jar.ts';
import { median, percentile } from './stats.ts';
import { buildNextApp, NEXT_DIR_ENV, removeNextApp } from './next-app.ts';

/** Settings of {@link runHttp}. */
export interface HttpOptions {
  readonly cases: readonly HttpCase[];
  /** Seconds measured per case and round. */
  readonly durationS: number;
  /** Seconds of load before each measured run, discarded. */
  readonly warmupS: number;
  readonly rounds: number;
  readonly connections: number;
  readonly log: (line: string) => void;
}

/** One measured run of one case. */
export interface HttpSample {
  readonly reqPerSec: number;
  /** Latency percentiles in milliseconds (from every response's own timing, not a 1-ms histogram). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server process's CPU time (user + system, all threads) per response, in microseconds. */
  readonly cpuMicrosPerReq: number;
  readonly responses: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly non2xx: number;
  /** Responses whose counter did not move by the case's step (a lost session or cookie). */
  readonly stale: number;
}

/** The outcome of one case over all rounds. */
export interface HttpCaseResult {
  readonly case: HttpCase;
  readonly samples: HttpSample[];
  /** Medians of the samples; absent when the case could not run. */
  median: Omit<HttpSample, 'responses' | 'errors' | 'non2xx' | 'stale'> | undefined;
  /** Summed over the rounds. */
  problems: { errors: number; non2xx: number; stale: number };
  /** Why the case did not run (or stopped), if it did not. */
  skipped: string | undefined;
  /** What its server reported (e.g. the Redis version). */
  info: Record<string, string>;
}

/**
 * Runs every case for `rounds` interleaved rounds.
 * @param options - cases, durations, rounds, connections and a logger
 * @returns one result per case, in the order given
 */
export async function runHttp(options: HttpOptions): Promise<HttpCaseResult[]> {
  const { cases, log } = options;
  const results = cases.map<HttpCaseResult>((c) => ({
    case: c,
    samples: [],
    median: undefined,
    problems: { errors: 0, non2xx: 0, stale: 0 },
    skipped: undefined,
    info: {},
  }));
  const servers = new Map<string, ServerProcess>();
  const release = prepareCases(results, log);
  try {
    for (const result of results) {
      if (result.skipped !== undefined) continue;
      try {
        const server = await startServer(result.case.id, result.case.nextApp === true ? 60_000 : undefined);
        servers.set(result.case.id, server);
        result.info = server.info;
      } catch (error) {
        result.skipped = (error as Error).message;
        log(`http: ${result.case.label}: not run: ${result.skipped}`);
      }
    }
    // Cases that disturb the machine for what follows (`afterRounds`) get their rounds after everyone's.
    await measureRounds(results.filter((r) => r.case.afterRounds !== true), servers, options);
    await measureRounds(results.filter((r) => r.case.afterRounds === true), servers, options);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    release();
  }
  for (const result of results) {
    const s = result.samples;
    if (s.length === 0) continue;
    result.median = {
      reqPerSec: median(s.map((x) => x.reqPerSec)),
      p50Ms: median(s.map((x) => x.p50Ms)),
      p99Ms: median(s.map((x) => x.p99Ms)),
      cpuMicrosPerReq: median(s.map((x) => x.cpuMicrosPerReq)),
    };
  }
  return results;
}

/**
 * What some cases need before their servers start: the Next.js app, built once for all the Next cases
 * (its directory handed to the servers through the environment). A build that fails marks those cases
 * skipped with the reason.
 * @param results - the cases to run (their `skipped` is set on failure)
 * @returns what to call once the servers stopped
 */
export function prepareCases(results: readonly Pick<HttpCaseResult, 'case' | 'skipped'>[], log: (line: string) => void): () => void {
  const next = results.filter((r) => r.case.nextApp === true);
  if (next.length === 0 || process.env[NEXT_DIR_ENV] !== undefined) return () => {};
  try {
    const dir = buildNextApp(log);
    process.env[NEXT_DIR_ENV] = dir;
    return () => {
      delete process.env[NEXT_DIR_ENV];
      removeNextApp(dir);
    };
  } catch (error) {
    for (const r of next) r.skipped = (error as Error).message;
    log(`http: the Next.js cases are not run: ${(error as Error).message}`);
    return () => {};
  }
}

/** Interleaved rounds (A B C ... A B C ...) over `results`, each sample added to its case. */
async function measureRounds(results: readonly HttpCaseResult[], servers: ReadonlyMap<string, ServerProcess>, options: HttpOptions): Promise<void> {
  for (let round = 1; round <= options.rounds; round++) {
    for (const result of results) {
      const server = servers.get(result.case.id);
      if (server === undefined || result.skipped !== undefined) continue;
      try {
        const sample = await measureCase(server, result.case, options);
        result.samples.push(sample);
        result.problems.errors += sample.errors;
        result.problems.non2xx += sample.non2xx;
        result.problems.stale += sample.stale;
        options.log(`http: round ${round}/${options.rounds} ${result.case.label}: ${describe(sample)}`);
      } catch (error) {
        result.skipped = `failed in round ${round}: ${(error as Error).message}`;
        options.log(`http: ${result.case.label}: ${result.skipped}`);
      }
    }
  }
}

/** One sample as a log line. */
export function describe(s: HttpSample): string {
  const problems = s.errors + s.non2xx + s.stale > 0 ? ` (errors ${s.errors}, non-2xx ${s.non2xx}, stale ${s.stale})` : '';
  return `${Math.round(s.reqPerSec)} req/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, ${s.cpuMicrosPerReq.toFixed(1)} µs CPU/req${problems}`;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Between cases: flush the page cache's dirty pages (the file store writes a file per request) so that
 * the kernel's writeback does not run during the next case, then let the machine go quiet.
 */
async function settleMachine(): Promise<void> {
  if (process.platform !== 'win32') spawnSync('sync', { stdio: 'ignore' });
  await pause(500);
}

/**
 * Warm-up, then a measured run bracketed by the server's CPU readings (the pinned mode runs its cases
 * through this too).
 */
export async function measureCase(server: ServerProcess, c: HttpCase, o: Pick<HttpOptions, 'durationS' | 'warmupS' | 'connections'>): Promise<HttpSample> {
  if (o.warmupS > 0) {
    await load(server.port, o.warmupS, o.connections, c.step, c.path);
    await pause(100); // let the last warm-up requests drain before the CPU reading
  }
  const cpuBefore = await server.cpuMicros();
  const run = await load(server.port, o.durationS, o.connections, c.step, c.path);
  const cpuAfter = await server.cpuMicros();
  await settleMachine();
  const sorted = run.latencies.sort();
  return {
    reqPerSec: run.responses / run.seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuMicrosPerReq: run.responses > 0 ? (cpuAfter - cpuBefore) / run.responses : Number.NaN,
    responses: run.responses,
    errors: run.errors,
    non2xx: run.non2xx,
    stale: run.stale,
  };
}

/** What one autocannon run saw. */
export interface LoadRun {
  responses: number;
  seconds: number;
  /** Every response's latency in ms, in arrival order. */
  latencies: Float64Array;
  errors: number;
  non2xx: number;
  stale: number;
}

/**
 * One autocannon run against 127.0.0.1:`port` with cookie-replaying clients.
 * @param step - how the counter must move per response on one client; `undefined` skips the check
 * @param path - the path requested; default `/`
 */
export function load(port: number, durationS: number, connections: number, step: 1 | 0 | undefined, path = '/'): Promise<LoadRun> {
  let latencies = new Float64Array(1 << 16);
  let responses = 0;
  let stale = 0;
  const setupClient = (client: Client): void => {
    const jar = new CookieJar();
    let last: number | undefined;
    client.setRequests([
      {
        method: 'GET',
        path,
        onResponse(status, body) {
          if (step === undefined || status !== 200) return;
          const n = Number(body);
          if (last !== undefined && n !== last + step) stale++;
          last = n;
        },
      },
    ]);
    client.on('headers', (info) => {
      let changed = false;
      const h = info.headers;
      for (let i = 0; i + 1 < h.length; i += 2) {
        if (h[i]!.length === 10 && h[i]!.toLowerCase() === 'set-cookie') changed = jar.set(h[i + 1]!) || changed;
      }
      if (changed) client.setHeaders({ cookie: jar.header() });
    });
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}${path}`, connections, pipelining: 1, duration: durationS, timeout: 10, setupClient },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          responses,
          seconds: result.duration,
          latencies: latencies.subarray(0, responses),
          errors: result.errors,
          non2xx: result.non2xx,
          stale,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (responses === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[responses++] = responseTime;
    });
  });
}
