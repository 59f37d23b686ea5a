/**
 * Where the time goes: one HTTP case (default: httpsession with cookie storage, the write-every-request
 * case) run under V8's sampling profiler for the measured load only (not startup, not warm-up), its
 * samples sorted into a few buckets a reader can act on, in µs per request and as a share of busy time.
 *
 * The profile itself (bench/profile.cpuprofile, not committed) opens in Chrome DevTools or speedscope.
 * Sampling adds some overhead of its own, so these figures explain the HTTP table rather than replace it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from './child.ts';
import type { HttpCase } from './cases.ts';
import { affinityMask, pin, restoreAffinity, whyUnpinned } from './pinned.ts';

/** One bucket of the profile. */
export interface ProfileBucket {
  readonly label: string;
  /** Microseconds of this bucket per response. */
  readonly microsPerReq: number;
  /** Share of the busy (non-idle) samples, 0 to 1. */
  readonly share: number;
}

/** The profile of one case. */
export interface ProfileResult {
  readonly caseId: string;
  readonly caseLabel: string;
  readonly durationS: number;
  readonly responses: number;
  /** Busy (non-idle) microseconds per response, as sampled. */
  readonly busyMicrosPerReq: number;
  readonly buckets: ProfileBucket[];
  /** The heaviest functions by self time, for the curious: `name (file)`, µs per request. */
  readonly top: { readonly name: string; readonly microsPerReq: number }[];
  /** Whether the server ran pinned to CPU 0 and the load generator to CPU 1 (absent in older results). */
  readonly pinned?: boolean;
}

/** Where the raw profile is written (git-ignored). */
export const PROFILE_FILE = fileURLToPath(new URL('./profile.cpuprofile', import.meta.url));

/**
 * Profiles one case under load.
 * @param c - the HTTP case
 * @param options - seconds of load (after a warm-up) and connections
 * @returns the buckets
 */
export async function runProfile(c: HttpCase, options: { durationS: number; warmupS: number; connections: number; log: (line: string) => void }): Promise<ProfileResult> {
  // Loaded here, not at the top: autocannon is in bench/node_modules only, and the smoke test (which
  // imports `summarize`) runs without it.
  const { load, prepareCases } = await import('./http.ts');
  const prepared = { case: c, skipped: undefined as string | undefined };
  const release = prepareCases([prepared], options.log);
  if (prepared.skipped !== undefined) throw new Error(prepared.skipped);
  const server = await startServer(c.id, c.nextApp === true ? 60_000 : undefined);
  // As in the pinned mode: the server on CPU 0, the load generator on CPU 1, so that a sample is the
  // server's own work, not the load generator holding its core.
  const pinned = whyUnpinned() === undefined;
  const ownMask = pinned ? affinityMask(process.pid) : undefined;
  if (pinned) {
    pin(server.pid, '0');
    pin(process.pid, '1');
  }
  try {
    if (options.warmupS > 0) await load(server.port, options.warmupS, options.connections, c.step, c.path);
    await server.profile('start');
    const run = await load(server.port, options.durationS, options.connections, c.step, c.path);
    await server.profile('stop', PROFILE_FILE);
    const result = summarize(JSON.parse(readFileSync(PROFILE_FILE, 'utf8')) as CpuProfile, c, options.durationS, run.responses);
    options.log(`profile: ${c.label}: ${result.busyMicrosPerReq.toFixed(1)} µs busy per request; ${result.buckets.map((b) => `${b.label} ${b.microsPerReq.toFixed(1)}`).join(', ')}`);
    return { ...result, pinned };
  } finally {
    await server.stop();
    if (ownMask !== undefined) restoreAffinity(process.pid, ownMask);
    release();
  }
}

/** The parts of a `.cpuprofile` read here. */
interface CpuProfile {
  readonly nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** The library's own code: its sources (run through tsx) or its build. */
const LIBRARY = ['src/', 'dist/'].map((dir) => new URL(`../${dir}`, import.meta.url).href);
const isLibrary = (url: string): boolean => LIBRARY.some((prefix) => url.startsWith(prefix));

/** The buckets, in the order shown; the first whose test matches a sample's function takes it. */
const BUCKETS: readonly { label: string; test: (name: string, url: string) => boolean }[] = [
  { label: 'socket writes (`writev`: the system call, plus any time the woken load generator held the core)', test: (n, u) => u === '' && /^write(v|Buffer|Utf8String|Latin1String)$/.test(n) },
  { label: 'AES-256-GCM (node:crypto cipher objects)', test: (_n, u) => u.includes('internal/crypto/cipher') },
  { label: 'SHA-256 compressions of the HMACs (codec/sha256.ts)', test: (_n, u) => isLibrary(u) && /\/codec\/sha256\.[jt]s$/.test(u) },
  { label: 'other node:crypto (random bytes)', test: (_n, u) => u.includes('internal/crypto/') },
  { label: 'garbage collection', test: (n) => n === '(garbage collector)' },
  { label: 'httpsession, everything else', test: (_n, u) => isLibrary(u) },
  { label: 'node:http, sockets, streams, promises (Node internals)', test: (_n, u) => u.startsWith('node:') },
  { label: 'the benchmark server and its loader (bench/, tsx)', test: (_n, u) => u.includes('/bench/') || u.includes('/node_modules/') },
  { label: 'V8 and native code, unattributed', test: () => true },
];

/**
 * Sorts a profile's samples into {@link BUCKETS}.
 * @param profile - a parsed `.cpuprofile`
 * @param c - the case it profiled
 * @param durationS - seconds of load it covers
 * @param responses - responses served meanwhile
 * @returns the summary
 */
export function summarize(profile: CpuProfile, c: HttpCase, durationS: number, responses: number): ProfileResult {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  // A native function (no URL) counts where its caller does (`initiv` under the cipher, `update` under the
  // HMAC...), except the socket writes, which are the one native cost worth a line of their own.
  const bucketOf = (id: number): number => {
    let frame = byId.get(id)!;
    const own = BUCKETS.findIndex((b) => b.test(frame.functionName, frame.url));
    if (frame.url !== '' || own === 0 || frame.functionName.startsWith('(')) return own;
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      frame = byId.get(up)!;
      if (frame.url !== '') return BUCKETS.findIndex((b) => b.test(frame.functionName, frame.url));
    }
    return own;
  };
  const bucketTime = new Array<number>(BUCKETS.length).fill(0);
  const selfTime = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    if (frame === undefined || frame.functionName === '(idle)' || frame.functionName === '(root)') continue;
    busy += dt;
    bucketTime[bucketOf(profile.samples[i]!)]! += dt;
    const name = `${frame.functionName || '(anonymous)'} (${shortUrl(frame.url)})`;
    selfTime.set(name, (selfTime.get(name) ?? 0) + dt);
  }
  const perReq = (micros: number): number => (responses > 0 ? micros / responses : Number.NaN);
  return {
    caseId: c.id,
    caseLabel: c.label,
    durationS,
    responses,
    busyMicrosPerReq: perReq(busy),
    buckets: BUCKETS.map((b, i) => ({ label: b.label, microsPerReq: perReq(bucketTime[i]!), share: busy > 0 ? bucketTime[i]! / busy : 0 })).filter((b) => b.microsPerReq > 0),
    top: [...selfTime]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, micros]) => ({ name, microsPerReq: perReq(micros) })),
  };
}

function shortUrl(url: string): string {
  if (url === '') return 'native';
  const root = new URL('../', import.meta.url).href;
  if (url.startsWith(root)) return url.slice(root.length);
  return url.replace(/^node:(internal\/)?/, 'node:');
}
