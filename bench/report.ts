/**
 * Renders a run as docs/benchmarks.md: the targets of issue 5 with pass/miss, the HTTP table, the codec
 * micro-benchmarks, the memory figures, and where and how it all ran. Pure: data in, text out.
 *
 * @module
 */
import type { HttpCaseResult } from './http.ts';
import type { MachineInfo } from './machine.ts';
import type { MemoryResult } from './memory.ts';
import type { MicroResult } from './micro.ts';
import { pinnedFigures, type PinnedResult } from './pinned.ts';
import type { ProfileResult } from './profile.ts';

/** Everything a run produced; a section is absent when it was not run. */
export interface BenchReport {
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly micro?: MicroResult[] | undefined;
  readonly memory?: MemoryResult[] | undefined;
  readonly http?: HttpCaseResult[] | undefined;
  readonly profile?: ProfileResult | undefined;
  /** The pinned mode (issue 13): server and load generator on a core each. */
  readonly pinned?: PinnedResult | undefined;
}

/** How the run was configured. */
export interface BenchSettings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly rounds: number;
  readonly connections: number;
  readonly microRoundMs: number;
  readonly memorySizes: readonly number[];
  /** The command as typed, env overrides included. */
  readonly command: string;
  /** What the httpsession servers ran: the built package (`npm run bench`) or the sources through tsx. */
  readonly library?: 'dist' | 'src' | undefined;
}

/** One target of issue 5 and how this run did against it. */
export interface TargetCheck {
  readonly target: string;
  /** The measured figure, formatted; `-` when not measured. */
  readonly measured: string;
  readonly status: 'pass' | 'miss' | 'not measured';
}

/** Full-length settings: a run below these is labelled a smoke run. */
export const FULL_RUN = { durationS: 10, rounds: 3 } as const;

/** Whether a run is too short to be quoted. */
export function isSmokeRun(s: BenchSettings): boolean {
  return s.durationS < FULL_RUN.durationS || s.rounds < FULL_RUN.rounds;
}

/** The ratio of a case's median req/s to bare node:http's. */
export function ratioToBare(http: readonly HttpCaseResult[], id: string): number | undefined {
  const bare = http.find((r) => r.case.id === 'bare')?.median?.reqPerSec;
  const value = http.find((r) => r.case.id === id)?.median?.reqPerSec;
  return bare === undefined || value === undefined ? undefined : value / bare;
}

/** Checks the targets of issue 5. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const http = report.http ?? [];
  const atLeast = (target: string, value: number | undefined, min: number, format: (v: number) => string): TargetCheck =>
    value === undefined
      ? { target, measured: '-', status: 'not measured' }
      : { target, measured: format(value), status: value >= min ? 'pass' : 'miss' };
  const ratio = (v: number): string => `${v.toFixed(2)} of bare`;
  const redis = http.find((r) => r.case.id === 'httpsession-redis')?.median?.reqPerSec;
  const connectRedis = http.find((r) => r.case.id === 'express-session-redis')?.median?.reqPerSec;
  const memory = report.memory?.find((m) => m.sessions === 1e6);
  return [
    atLeast('cookie storage, write every request: ≥ 0.30 of bare', ratioToBare(http, 'httpsession-cookie'), 0.3, ratio),
    atLeast('read-only (open + refresh): ≥ 0.60 of bare', ratioToBare(http, 'httpsession-readonly'), 0.6, ratio),
    atLeast(
      'Redis store: ≥ 2× express-session + connect-redis',
      redis !== undefined && connectRedis !== undefined ? redis / connectRedis : undefined,
      2,
      (v) => `${v.toFixed(2)}×`,
    ),
    memory === undefined
      ? { target: 'memory store: ≤ 300 bytes per idle session at 1e6', measured: '-', status: 'not measured' }
      : {
          target: 'memory store: ≤ 300 bytes per idle session at 1e6',
          measured: `${Math.round(memory.bytesPerSession)} bytes`,
          status: memory.bytesPerSession <= 300 ? 'pass' : 'miss',
        },
  ];
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const int = (v: number): string => Math.round(v).toLocaleString('en-US');

/**
 * Renders the Markdown report.
 * @param report - the run
 * @param chartFile - the chart's file name, relative to the report
 */
export function renderMarkdown(report: BenchReport, chartFile = 'benchmarks.svg'): string {
  const { settings: s, machine: m } = report;
  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    'How fast httpsession is next to bare `node:http` and its peers, measured on one machine in one run. This page',
    'is written by `npm run bench` ([bench/](../bench/)); edit the harness, not the page.',
    '',
  );
  if (isSmokeRun(s)) {
    out.push(
      `> **Smoke run** (${s.durationS} s per case, ${s.rounds} round${s.rounds === 1 ? '' : 's'}): it proves the harness works end to end;`,
      `> the figures are not representative. A full run uses ${FULL_RUN.durationS} s per case and ${FULL_RUN.rounds} rounds (the defaults).`,
      '',
    );
  }
  if (report.http !== undefined) out.push(`![Requests per second relative to bare node:http](${chartFile})`, '');

  out.push('## Targets (issue 5)', '', '| target | measured | |', '|---|---:|---|');
  for (const t of checkTargets(report)) out.push(`| ${t.target} | ${t.measured} | ${t.status === 'pass' ? '✅ pass' : t.status === 'miss' ? '❌ miss' : 'not measured'} |`);
  out.push('');

  if (report.http !== undefined) out.push(...httpSection(report.http, s));
  if (report.profile !== undefined) out.push(...profileSection(report.profile));
  if (report.pinned !== undefined) out.push(...pinnedSection(report.pinned));
  if (report.micro !== undefined) out.push(...microSection(report.micro, s));
  if (report.memory !== undefined) out.push(...memorySection(report.memory));
  out.push(...machineSection(m, s, report.http));
  return `${out.join('\n').trimEnd()}\n`;
}

function httpSection(http: readonly HttpCaseResult[], s: BenchSettings): string[] {
  const bare = http.find((r) => r.case.id === 'bare')?.median;
  const out: string[] = [
    '## HTTP',
    '',
    `autocannon, ${s.connections} connections on 127.0.0.1, ${s.durationS} s per case after a ${s.warmupS} s warm-up, ${s.rounds} interleaved`,
    'round(s) (every case once per round, in the order below, with a `sync` and a pause between cases; the file',
    'store\'s rounds after all the others, as its disk work would fall on the next case), medians of the rounds.',
    'Each client replays the cookies it was given. Every case does the same work per request: read a counter',
    'from the session, increment it, save, reply `String(n)`.',
    '',
    '| case | req/s | ratio to bare | p50 ms | p99 ms | server CPU µs/req | CPU ratio | |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of http) {
    if (r.median === undefined) {
      out.push(`| ${r.case.label} | - | - | - | - | - | - | not run: ${escapeCell(r.skipped ?? 'unknown')} |`);
      continue;
    }
    const md = r.median;
    const ratio = bare === undefined ? undefined : md.reqPerSec / bare.reqPerSec;
    const cpuRatio = bare === undefined ? undefined : bare.cpuMicrosPerReq / md.cpuMicrosPerReq;
    const p = r.problems;
    const flags = p.errors + p.non2xx + p.stale > 0 ? `⚠ errors ${p.errors}, non-2xx ${p.non2xx}, stale ${p.stale}` : '';
    const label = r.case.group === 'httpsession' ? `**${r.case.label}**` : r.case.label;
    out.push(
      `| ${label} | ${int(md.reqPerSec)} | ${fmt(ratio, 3)} | ${fmt(md.p50Ms, 2)} | ${fmt(md.p99Ms, 2)} | ${fmt(md.cpuMicrosPerReq)} | ${fmt(cpuRatio, 3)} | ${flags} |`,
    );
  }
  out.push(
    '',
    '- **ratio to bare**: the case\'s req/s over bare `node:http`\'s. Bare `node:http` is partly limited by the load',
    '  generator (autocannon shares the machine), so this understates the cost gap; **CPU ratio** (bare\'s server',
    '  CPU per request over the case\'s) measures the server alone.',
    '- **server CPU µs/req**: user + system CPU time of the server process (every thread: JavaScript, GC, libuv) over',
    '  the measured run, from `process.cpuUsage()` in the server, divided by the responses.',
    '- p50/p99: from every response\'s own timing (not autocannon\'s 1 ms histogram).',
    '- A ⚠ flags connection errors, non-2xx responses, or responses whose counter did not move as it should (a lost',
    '  session or cookie); none is expected.',
    '',
    '| case | what it does |',
    '|---|---|',
    ...http.map((r) => `| ${r.case.label} | ${r.case.note} |`),
    '',
    'Reference figures quoted in issue 5 (another 2-core machine): bare `node:http` 31.9k req/s at 28 µs CPU per',
    'request; express-session MemoryStore 0.088 of bare; express-session + connect-redis 0.079; iron-session 0.043;',
    'cookie-session 0.115.',
    '',
  );
  return out;
}

function profileSection(p: ProfileResult): string[] {
  return [
    `## Where the time goes: ${p.caseLabel}`,
    '',
    `The case above again, ${p.durationS} s of the same load after the warm-up, its server under V8's sampling profiler${p.pinned === true ? ' (server pinned to CPU 0, load generator to CPU 1, as in the pinned mode)' : ''}`,
    `(100 µs interval; ${int(p.responses)} responses). Busy time per request: **${fmt(p.busyMicrosPerReq)} µs**. These are wall-clock`,
    'samples of the server\'s thread while it was not idle, so they differ from the CPU column above: a `writev` that',
    'wakes the load generator on a 2-core machine often lets it take the core before the server resumes, and that',
    'wait is counted in `writev`. The profiler adds a little time of its own. A native function counts where its',
    'caller does (`initiv` under AES-GCM). `npm run bench` leaves the raw profile in bench/profile.cpuprofile',
    '(Chrome DevTools, speedscope).',
    '',
    '| where | µs per request | share of busy time |',
    '|---|---:|---:|',
    ...p.buckets.map((b) => `| ${b.label} | ${fmt(b.microsPerReq)} | ${fmt(b.share * 100)} % |`),
    '',
    'Heaviest functions by self time:',
    '',
    '| function | µs per request |',
    '|---|---:|',
    ...p.top.map((t) => `| \`${escapeCell(t.name)}\` | ${fmt(t.microsPerReq, 2)} |`),
    '',
  ];
}

function pinnedSection(p: PinnedResult): string[] {
  const f = pinnedFigures(p);
  const bare = p.cases.find((r) => r.case.id === 'bare')?.median?.cpuMicrosPerReq;
  const atMost = (target: string, value: number | undefined, max: number, format: (v: number) => string): string =>
    `| ${target} | ${value === undefined ? '-' : format(value)} | ${value === undefined ? 'not measured' : value <= max ? '✅ pass' : '❌ miss'} |`;
  const us = (v: number): string => `${v.toFixed(1)} µs`;
  const where =
    'pinning' in p && 'server' in p.pinning
      ? 'each server in a child process pinned to CPU 0 (`taskset -a -p -c 0`), autocannon pinned to CPU 1'
      : `**not pinned** (${'unpinned' in p.pinning ? p.pinning.unpinned : ''}): the server and the load generator share the cores`;
  const out: string[] = [
    '## Pinned: the session\'s cost under HTTP load (issue 13)',
    '',
    `\`BENCH_ONLY=pinned npm run bench\`: ${where};`,
    `${p.connections} connections, ${p.durationS} s per case after the warm-up, ${p.rounds} interleaved round(s), medians${p.loadAverage === undefined ? '' : ` (1-minute load average at the start: ${p.loadAverage.toFixed(1)})`}.`,
    'Every connection keeps a cookie jar and checks that the counter in each',
    'body moves (by 1 when saved, by 0 read-only), so the cookie really is replayed; a case where it did not fails.',
    '**Server CPU** is user + system of the server process over the measured run (`process.cpuUsage()` in the',
    'child, over IPC) per response; **over bare** subtracts bare `node:http`\'s, leaving the session\'s own cost.',
    '',
    '| case | req/s | server CPU µs/req | over bare µs/req | |',
    '|---|---:|---:|---:|---|',
  ];
  for (const r of p.cases) {
    if (r.median === undefined) {
      out.push(`| ${r.case.label} | - | - | - | ${escapeCell(r.skipped ?? 'not run')} |`);
      continue;
    }
    const over = bare === undefined || r.case.id === 'bare' ? undefined : r.median.cpuMicrosPerReq - bare;
    out.push(`| ${r.case.label} | ${int(r.median.reqPerSec)} | ${fmt(r.median.cpuMicrosPerReq)} | ${r.case.id === 'bare' ? '' : fmt(over)} | |`);
  }
  out.push(
    '',
    'In-process micro-benchmark of the same work (micro.ts, node:crypto, no HTTP; run in the bench process on CPU 0',
    'once per round while the servers idle, timed in CPU time like the servers):',
    `\`${MICRO_LABEL_WRITE}\` **${fmt(p.micro.writeMicros)} µs**, read-only \`start()\` **${fmt(p.micro.readMicros)} µs**. HTTP ÷ micro: write **${fmt(f.httpOverMicro, 2)}×**, read-only ${fmt(f.readHttpOverMicro, 2)}×.`,
    '',
    '| target (issue 13) | measured | |',
    '|---|---:|---|',
    atMost('write every request: session CPU over bare ≤ 40 µs', f.writeOverBare, 40, us),
    atMost('write: HTTP ÷ micro ≤ 1.5×', f.httpOverMicro, 1.5, (v) => `${v.toFixed(2)}×`),
    atMost('read-only: session CPU over bare ≤ 8 µs', f.readOverBare, 8, us),
    '',
  );
  const express = p.cases.find((r) => r.case.id === 'express-session-memory')?.median?.cpuMicrosPerReq;
  const hand = p.cases.find((r) => r.case.id === 'hkdf-aes-gcm')?.median?.cpuMicrosPerReq;
  const write = p.cases.find((r) => r.case.id === 'httpsession-cookie')?.median?.cpuMicrosPerReq;
  if (write !== undefined && bare !== undefined && (express !== undefined || hand !== undefined)) {
    const parts: string[] = [];
    if (hand !== undefined) parts.push(`${fmt((write - bare) / (hand - bare), 2)}× the hand-rolled cookie's`);
    if (express !== undefined) parts.push(`${fmt((write - bare) / (express - bare), 2)}× express-session's`);
    out.push(`Same-run ratios of the CPU over bare: the write path costs ${parts.join(' and ')}.`, '');
  }
  return out;
}

const MICRO_LABEL_WRITE = 'manager: open + increment + save';

function microSection(micro: readonly MicroResult[], s: BenchSettings): string[] {
  const out: string[] = [
    '## Codec micro-benchmarks',
    '',
    `µs per operation, median of ${s.rounds} interleaved round(s) of at least ${s.microRoundMs} ms per case. **seal**: encode`,
    'the JSON (deflate when flagged), derive the session id\'s keys (HKDF), AES-256-GCM, header MAC, base64url;',
    '**open**: decode the header, derive the MAC key, verify, derive the AES key, decrypt, inflate, parse. Sizes',
    'are the session JSON\'s; the deflate rows hold a realistic, compressible session (a user and a cart).',
    '',
    '| operation | size | node:crypto µs | @noble µs | noble / node |',
    '|---|---|---:|---:|---:|',
  ];
  const node = micro.filter((r) => r.backend === 'node');
  for (const n of node) {
    const noble = micro.find((r) => r.backend === 'noble' && r.operation === n.operation && r.size === n.size);
    const ratio = noble === undefined ? undefined : noble.microsPerOp / n.microsPerOp;
    out.push(`| ${n.operation} | ${n.size} | ${fmt(n.microsPerOp, 2)} | ${fmt(noble?.microsPerOp, 2)} | ${fmt(ratio)}× |`);
  }
  out.push('');
  return out;
}

function memorySection(memory: readonly MemoryResult[]): string[] {
  const out: string[] = [
    '## Memory store',
    '',
    'V8 heap per idle session in `memoryStorage()`: N sessions created through the real save path (a manager',
    'with node:crypto, a small session: user id, role, CSRF token, counter), heap measured after a full GC before',
    'and after, in a child process of its own (`--expose-gc`). "Overhead" is what a session costs beyond its',
    'record\'s characters (one byte each): key, record object, Map entry, string headers.',
    '',
    '| sessions | bytes per session | record length | overhead beyond the record | fill time |',
    '|---:|---:|---:|---:|---:|',
  ];
  for (const r of memory) {
    out.push(`| ${int(r.sessions)} | ${fmt(r.bytesPerSession)} | ${r.valueLength} | ${fmt(r.overheadBytes)} | ${fmt(r.seconds)} s |`);
  }
  out.push('');
  return out;
}

function machineSection(m: MachineInfo, s: BenchSettings, http: readonly HttpCaseResult[] | undefined): string[] {
  const redis = http?.find((r) => r.info.redis !== undefined)?.info.redis;
  const out: string[] = [
    '## Machine, versions, command',
    '',
    `- Date: ${m.date}`,
    `- CPU: ${m.cpu}, ${m.cores} cores; memory ${m.memoryGiB} GiB; ${m.os}`,
    `- Node ${m.node}; httpsession ${m.versions.httpsession} (commit ${m.commit})`,
  ];
  if (redis !== undefined) out.push(`- Redis server ${redis}, on 127.0.0.1`);
  const peers = Object.entries(m.versions)
    .filter(([name]) => name !== 'httpsession')
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  out.push(
    `- Peers and tools (bench/package-lock.json): ${peers}`,
    `- Command: \`${s.command}\``,
    `- Settings: ${s.connections} connections, ${s.durationS} s per case, ${s.warmupS} s warm-up, ${s.rounds} round(s); micro ${s.microRoundMs} ms per case and round; memory at ${s.memorySizes.map(int).join(' and ')} sessions`,
    '- Every server runs in a child process of its own (one per case, kept for all rounds); autocannon runs in the',
    '  parent process. On a 2-core machine each gets one core.',
    s.library === 'dist'
      ? '- The httpsession servers run the built package (dist/, as installed from npm), like the peers run theirs.'
      : '- The httpsession servers ran the TypeScript sources through tsx (not `npm run bench`, which runs the build).',
    '',
  );
  return out;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
