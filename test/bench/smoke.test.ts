/**
 * A short run of the benchmark harness (bench/), so it cannot rot between full runs. Needs nothing from
 * bench/node_modules: no autocannon, no peer. The codec micro-benchmarks run one tiny batch; the cookie
 * storage server runs in a child process exactly as the HTTP benchmark starts it, and a fetch loop replays
 * its cookie through the benchmark's own cookie jar; the memory child fills a small store; the report and
 * chart render from synthetic results.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HTTP_CASES } from '../../bench/cases.ts';
import { renderChart } from '../../bench/chart.ts';
import { startServer } from '../../bench/child.ts';
import type { HttpCaseResult } from '../../bench/http.ts';
import { CookieJar } from '../../bench/jar.ts';
import { machineInfo } from '../../bench/machine.ts';
import { runMemory } from '../../bench/memory.ts';
import { runMicro } from '../../bench/micro.ts';
import { PINNED_CASES, pinnedFigures, type PinnedResult } from '../../bench/pinned.ts';
import { summarize } from '../../bench/profile.ts';
import { checkTargets, renderMarkdown, type BenchReport } from '../../bench/report.ts';

describe('bench harness (smoke)', () => {
  it('runs every codec micro-benchmark on both backends', async () => {
    const results = await runMicro({ rounds: 1, roundMs: 0, batch: 2 });
    for (const backend of ['node', 'noble'] as const) {
      const ours = results.filter((r) => r.backend === backend);
      assert.ok(ours.some((r) => r.operation === 'seal' && r.size === '4 KiB'), `${backend}: seal 4 KiB`);
      assert.ok(ours.some((r) => r.operation === 'open' && r.size.includes('deflated')), `${backend}: open deflated`);
      assert.ok(ours.some((r) => r.operation.startsWith('keys')), `${backend}: key derivation`);
    }
    for (const r of results) assert.ok(r.microsPerOp > 0 && Number.isFinite(r.microsPerOp), `${r.backend} ${r.operation} ${r.size}`);
  });

  it('serves the cookie storage case from a child process, the replayed cookie carrying the counter', async () => {
    const server = await startServer('httpsession-cookie');
    try {
      const jar = new CookieJar();
      const cpuBefore = await server.cpuMicros();
      for (let i = 1; i <= 20; i++) {
        const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: i === 1 ? {} : { cookie: jar.header() } });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), String(i));
        const lines = response.headers.getSetCookie();
        assert.equal(lines.length, 1, 'a save sends one session cookie');
        assert.ok(jar.set(lines[0]!), 'every save seals a new cookie');
      }
      const cpuAfter = await server.cpuMicros();
      assert.ok(cpuAfter > cpuBefore, 'the server reports its CPU time over IPC');
    } finally {
      await server.stop();
    }
  });

  it('profiles a server over IPC around the load only, and buckets the samples', async () => {
    const server = await startServer('httpsession-cookie');
    const dir = mkdtempSync(join(tmpdir(), 'httpsession-bench-'));
    try {
      const jar = new CookieJar();
      await server.profile('start');
      for (let i = 1; i <= 200; i++) {
        const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: i === 1 ? {} : { cookie: jar.header() } });
        assert.equal(await response.text(), String(i));
        jar.set(response.headers.getSetCookie()[0]!);
      }
      const file = join(dir, 'p.cpuprofile');
      await server.profile('stop', file);
      const result = summarize(JSON.parse(readFileSync(file, 'utf8')), HTTP_CASES.find((c) => c.id === 'httpsession-cookie')!, 1, 200);
      assert.ok(result.busyMicrosPerReq > 0);
      const total = result.buckets.reduce((sum, b) => sum + b.share, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, `the shares add up to 1 (${total})`);
      assert.ok(result.top.length > 0);
      const report: BenchReport = {
        machine: machineInfo(),
        settings: { durationS: 1, warmupS: 0, rounds: 1, connections: 1, microRoundMs: 0, memorySizes: [], command: 'test' },
        profile: result,
      };
      assert.match(renderMarkdown(report), /## Where the time goes: httpsession, cookie storage/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown server by name', async () => {
    await assert.rejects(startServer('no-such-server'), /no server file bench\/servers\/no-such-server\.ts/);
  });

  it('measures heap bytes per idle session in the memory store', async () => {
    const [result] = await runMemory([2_000]);
    assert.ok(result !== undefined);
    assert.equal(result.sessions, 2_000);
    assert.ok(result.valueLength > 50, 'a realistic record');
    assert.ok(result.bytesPerSession > result.valueLength, 'a session costs at least its record');
  });

  it('renders the report and the chart, targets included', () => {
    const median = (reqPerSec: number, cpu: number): HttpCaseResult['median'] => ({ reqPerSec, p50Ms: 1, p99Ms: 5, cpuMicrosPerReq: cpu });
    const rates: Record<string, number> = { bare: 30_000, 'httpsession-cookie': 10_000, 'httpsession-readonly': 19_000, 'httpsession-redis': 9_000, 'express-session-redis': 3_000 };
    const http: HttpCaseResult[] = HTTP_CASES.map((c) => ({
      case: c,
      samples: [],
      median: c.id === 'iron-session' ? undefined : median(rates[c.id] ?? 5_000, 50),
      problems: { errors: 0, non2xx: 0, stale: c.id === 'cookie-session' ? 3 : 0 },
      skipped: c.id === 'iron-session' ? 'no <reason> & more' : undefined,
      info: c.id === 'httpsession-redis' ? { redis: '7.0.0' } : {},
    }));
    const report: BenchReport = {
      machine: machineInfo(),
      settings: { durationS: 2, warmupS: 1, rounds: 1, connections: 50, microRoundMs: 0, memorySizes: [1e6], command: 'npm run bench' },
      http,
      memory: [{ sessions: 1e6, heapBytes: 3.2e8, bytesPerSession: 320, valueLength: 114, overheadBytes: 206, seconds: 1 }],
    };
    assert.deepEqual(
      checkTargets(report).map((t) => t.status),
      ['pass', 'pass', 'pass', 'miss'],
    );
    const markdown = renderMarkdown(report);
    assert.match(markdown, /Smoke run/);
    assert.match(markdown, /\| \*\*httpsession, cookie storage\*\* \| 10,000 \| 0\.333 \|/);
    assert.match(markdown, /not run: no <reason> & more/);
    assert.match(markdown, /⚠ errors 0, non-2xx 0, stale 3/);
    assert.match(markdown, /Redis server 7\.0\.0/);
    const svg = renderChart(http, { subtitle: 'test <machine>', warning: 'smoke' });
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(svg, /test &lt;machine&gt;/);
    assert.match(svg, /not run: no &lt;reason&gt; &amp; more/);
    assert.equal(svg.match(/<rect [^>]*rx="2" fill="#/g)?.length, HTTP_CASES.length - 1 + 4, 'one bar per case run, plus the legend');
  });

  it('serves the hand-rolled HKDF + AES-GCM case of the pinned mode, its cookie replayed', async () => {
    const server = await startServer('hkdf-aes-gcm');
    try {
      const jar = new CookieJar();
      for (let i = 1; i <= 5; i++) {
        const response = await fetch(`http://127.0.0.1:${server.port}/`, { headers: i === 1 ? {} : { cookie: jar.header() } });
        assert.equal(await response.text(), String(i));
        assert.ok(jar.set(response.headers.getSetCookie()[0]!), 'every save seals a new cookie');
      }
      const tampered = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { cookie: `${jar.header().slice(0, -2)}AA` } });
      assert.equal(await tampered.text(), '1', 'a cookie that does not open is a new session');
    } finally {
      await server.stop();
    }
  });

  it('renders the pinned section: session CPU over bare, HTTP over micro, a failed case', () => {
    const cpu: Record<string, number> = { bare: 30, 'httpsession-cookie': 60, 'httpsession-readonly': 36, 'hkdf-aes-gcm': 150, 'express-session-memory': 400 };
    const pinned: PinnedResult = {
      pinning: { server: 'taskset -c 0', client: 'taskset -c 1' },
      durationS: 5,
      rounds: 3,
      connections: 50,
      cases: PINNED_CASES.map((c) => ({
        case: c,
        samples: [],
        median: c.id === 'express-session-memory' ? undefined : { reqPerSec: 1e6 / cpu[c.id]!, p50Ms: 1, p99Ms: 2, cpuMicrosPerReq: cpu[c.id]! },
        problems: { errors: 0, non2xx: 0, stale: c.id === 'express-session-memory' ? 7 : 0 },
        skipped: c.id === 'express-session-memory' ? 'FAILED in round 1: 7 responses whose counter did not move' : undefined,
        info: {},
      })),
      micro: { writeMicros: 20, readMicros: 4, writeSamples: [20], readSamples: [4] },
    };
    const f = pinnedFigures(pinned);
    assert.equal(f.writeOverBare, 30);
    assert.equal(f.readOverBare, 6);
    assert.equal(f.httpOverMicro, 1.5);
    const markdown = renderMarkdown({
      machine: machineInfo(),
      settings: { durationS: 5, warmupS: 1, rounds: 3, connections: 50, microRoundMs: 300, memorySizes: [], command: 'npm run bench' },
      pinned,
    });
    assert.match(markdown, /## Pinned/);
    assert.match(markdown, /\| write every request: session CPU over bare ≤ 40 µs \| 30\.0 µs \| ✅ pass \|/);
    assert.match(markdown, /\| express-session, MemoryStore \| - \| - \| - \| FAILED in round 1/);
  });
});
