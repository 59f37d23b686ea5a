/**
 * `npm run bench`: installs bench/'s own dependencies (the peers, never the library's), then runs the codec
 * micro-benchmarks, the memory benchmark and the HTTP benchmark, and writes docs/benchmarks.md and
 * docs/benchmarks.svg. Not part of `npm test` (test/bench/smoke.test.ts runs a short version of it).
 *
 * Environment:
 * - BENCH_ONLY=micro|memory|http|profile|pinned (comma-separated): run only these; the docs are then left alone
 *   and the report is printed, unless BENCH_WRITE=1 (`BENCH_ONLY=pinned BENCH_WRITE=1` replaces only the pinned
 *   section of bench/results.json and the docs, keeping the rest as last measured).
 * - BENCH_RENDER=1: measure nothing; re-render the docs from bench/results.json (the raw results every
 *   written run leaves next to this file), e.g. after a change to the report or the chart.
 * - BENCH_DURATION (s per HTTP case and round, default 10), BENCH_WARMUP (s, default 2), BENCH_ROUNDS
 *   (default 3), BENCH_CONNECTIONS (default 50), BENCH_MICRO_MS (ms per micro case and round, default 300),
 *   BENCH_MEMORY_SIZES (default 100000,1000000), BENCH_CASES (HTTP case ids, comma-separated: a subset),
 *   BENCH_REDIS_URL (default redis://127.0.0.1:6379/11), BENCH_LIB=dist (set by `npm run bench` after its build:
 *   the httpsession servers import dist/ instead of src/), BENCH_PROFILE_CASE (the HTTP case profiled,
 *   default httpsession-cookie). The pinned mode (pinned.ts) runs 5 s per case unless BENCH_DURATION says otherwise.
 *
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HTTP_CASES } from './cases.ts';
import { renderChart } from './chart.ts';
import { machineInfo } from './machine.ts';
import { runMemory } from './memory.ts';
import { runMicro } from './micro.ts';
import { pinnedFailed, runPinned } from './pinned.ts';
import { FULL_RUN, isSmokeRun, renderMarkdown, type BenchReport, type BenchSettings } from './report.ts';

const SECTIONS = ['micro', 'memory', 'http', 'profile', 'pinned'] as const;
type Section = (typeof SECTIONS)[number];

const env = process.env;
const number = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} expected a non-negative number, got ${JSON.stringify(raw)}`);
  return value;
};
const list = (name: string): string[] | undefined => env[name]?.split(',').map((s) => s.trim()).filter(Boolean);

const only = list('BENCH_ONLY');
for (const s of only ?? []) if (!SECTIONS.includes(s as Section)) throw new RangeError(`BENCH_ONLY expected ${SECTIONS.join('|')}, got ${JSON.stringify(s)}`);
const sections = new Set<Section>((only as Section[] | undefined) ?? SECTIONS);
const caseIds = list('BENCH_CASES');
for (const id of caseIds ?? []) if (!HTTP_CASES.some((c) => c.id === id)) throw new RangeError(`BENCH_CASES: no case ${JSON.stringify(id)}; cases: ${HTTP_CASES.map((c) => c.id).join(', ')}`);
const cases = caseIds === undefined ? HTTP_CASES : HTTP_CASES.filter((c) => c.id === 'bare' || caseIds.includes(c.id));

const settings: BenchSettings = {
  durationS: number('BENCH_DURATION', FULL_RUN.durationS),
  warmupS: number('BENCH_WARMUP', 2),
  rounds: Math.max(1, Math.round(number('BENCH_ROUNDS', FULL_RUN.rounds))),
  connections: Math.max(1, Math.round(number('BENCH_CONNECTIONS', 50))),
  microRoundMs: number('BENCH_MICRO_MS', 300),
  memorySizes: (list('BENCH_MEMORY_SIZES') ?? ['100000', '1000000']).map((raw) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`BENCH_MEMORY_SIZES expected positive integers, got ${JSON.stringify(raw)}`);
    return n;
  }),
  command: commandLine(),
  library: env.BENCH_LIB === 'dist' ? 'dist' : 'src',
};
const log = (line: string): void => console.log(line);

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));

if (env.BENCH_RENDER === '1') {
  writeDocs(JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchReport);
} else {
  const report = await measure();
  if (report.pinned !== undefined && pinnedFailed(report.pinned)) {
    console.error('bench: pinned mode: a case failed or did not run (see above)');
    process.exitCode = 1;
  }
  if (sections.size === 1 && sections.has('pinned') && env.BENCH_WRITE === '1') {
    // Only the pinned section is new: keep every other section of the last written run.
    const previous = JSON.parse(readFileSync(RESULTS, 'utf8')) as BenchReport;
    const merged: BenchReport = { ...previous, pinned: report.pinned };
    writeFileSync(RESULTS, `${JSON.stringify(merged, null, 1)}\n`);
    writeDocs(merged);
  } else if ((sections.size === SECTIONS.length && caseIds === undefined) || env.BENCH_WRITE === '1') {
    writeFileSync(RESULTS, `${JSON.stringify(report, null, 1)}\n`);
    writeDocs(report);
  } else {
    log('bench: partial run, docs left alone (BENCH_WRITE=1 writes them anyway):\n');
    log(renderMarkdown(report));
  }
}

async function measure(): Promise<BenchReport> {
  const machine = machineInfo();
  log(`bench: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; sections: ${[...sections].join(', ')}`);
  if (isSmokeRun(settings)) log(`bench: smoke settings (${settings.durationS} s x ${settings.rounds} round(s)): figures are not representative`);
  const micro = sections.has('micro') ? await runMicro({ rounds: settings.rounds, roundMs: settings.microRoundMs, log }) : undefined;
  const memory = sections.has('memory') ? await runMemory(settings.memorySizes, log) : undefined;
  let http: BenchReport['http'];
  if (sections.has('http')) {
    // Loaded here, not at the top: autocannon is in bench/node_modules only, and micro/memory runs need none of it.
    const { runHttp } = await import('./http.ts');
    const { durationS, warmupS, rounds, connections } = settings;
    http = await runHttp({ cases, durationS, warmupS, rounds, connections, log });
  }
  let profile: BenchReport['profile'];
  if (sections.has('profile')) {
    const { runProfile } = await import('./profile.ts');
    const id = env.BENCH_PROFILE_CASE ?? 'httpsession-cookie';
    const c = HTTP_CASES.find((x) => x.id === id);
    if (c === undefined) throw new RangeError(`BENCH_PROFILE_CASE: no case ${JSON.stringify(id)}`);
    profile = await runProfile(c, { durationS: settings.durationS, warmupS: settings.warmupS, connections: settings.connections, log });
  }
  let pinned: BenchReport['pinned'];
  if (sections.has('pinned')) {
    const { warmupS, rounds, connections, microRoundMs } = settings;
    const durationS = number('BENCH_DURATION', 5);
    pinned = await runPinned({ durationS, warmupS, rounds, connections, microRoundMs, log });
  }
  return { machine, settings, micro, memory, http, profile, pinned };
}

function writeDocs(report: BenchReport): void {
  const { machine, settings: s, http } = report;
  mkdirSync(DOCS, { recursive: true });
  writeFileSync(`${DOCS}benchmarks.md`, renderMarkdown(report));
  if (http !== undefined) {
    const subtitle = `${machine.cpu}, ${machine.cores} cores · Node ${machine.node} · ${s.connections} connections · ${machine.date.slice(0, 10)}`;
    const warning = isSmokeRun(s) ? `Smoke run (${s.durationS} s per case, ${s.rounds} round${s.rounds === 1 ? '' : 's'}): not representative` : undefined;
    writeFileSync(`${DOCS}benchmarks.svg`, renderChart(http, { subtitle, warning }));
  }
  log(`bench: wrote docs/benchmarks.md${http !== undefined ? ' and docs/benchmarks.svg' : ''} (raw results: bench/results.json)`);
}

/** The command as a reader would type it: `npm run bench` (or the node command) with the BENCH_* overrides. */
function commandLine(): string {
  const overrides = Object.keys(env)
    // BENCH_LIB is set by the npm script itself (see bench/servers/lib.ts), not by the reader.
    .filter((k) => k.startsWith('BENCH_') && k !== 'BENCH_LIB')
    .sort()
    // A Redis URL may carry a password: never print one.
    .map((k) => `${k}=${env[k]!.replace(/\/\/[^@/]*@/, '//***@')}`);
  const base = env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'node --import tsx bench/run.ts';
  return [...overrides, base].join(' ');
}
