// The per-call deadline of the Redis store (src/storage/deadline.ts): one queue and one timer per store
// instead of a timer, an AbortController and a Promise.race per call. What it must keep: a call that is
// never answered rejects with a TimeoutError at its own deadline, not before; a body learns it has
// expired; an abandoned body never rejects unhandled; an idle store keeps no process alive, while a
// pending call does until its deadline.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { deadlines, type Deadline } from '../../src/storage/deadline.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const never = (): Promise<never> => new Promise(() => {});
const isTimeout = (err: unknown): boolean => err instanceof Error && err.name === 'TimeoutError' && /^redis did not answer within \d+ ms$/.test(err.message);

describe('store deadlines', () => {
  it('a call that is never answered rejects with a TimeoutError at its deadline, not before, and its body sees it expired', async () => {
    const withDeadline = deadlines(150, 'redis');
    let seen: Deadline | undefined;
    const started = performance.now();
    await assert.rejects(
      withDeadline((deadline) => {
        seen = deadline;
        return never();
      }),
      isTimeout,
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 149 && elapsed < 1000, `rejected after ${elapsed.toFixed(1)} ms`);
    assert.equal(seen?.expired, true);
  });

  it('calls answered in time keep their own outcome; each stuck call times out at its own deadline', async () => {
    const withDeadline = deadlines(200, 'redis');
    const t0 = performance.now();
    const ends: Array<Promise<[string, number]>> = [];
    const track = (name: string, call: Promise<unknown>): void => {
      ends.push(call.then(() => [`${name} resolved`, performance.now() - t0], (err: unknown) => [isTimeout(err) ? `${name} timed out` : `${name} rejected`, performance.now() - t0]));
    };
    track('a', withDeadline(async () => 1));
    track('stuck1', withDeadline(never));
    track('b', withDeadline(() => Promise.reject(new Error('no'))));
    await sleep(100);
    track('stuck2', withDeadline(never));
    track('c', withDeadline(async () => sleep(50)));
    const results = await Promise.all(ends);
    assert.deepEqual(results.map(([what]) => what), ['a resolved', 'stuck1 timed out', 'b rejected', 'stuck2 timed out', 'c resolved']);
    const at = Object.fromEntries(results);
    assert.ok(at['stuck1 timed out']! >= 199 && at['stuck1 timed out']! < 1000, `stuck1 at ${at['stuck1 timed out']}`);
    assert.ok(at['stuck2 timed out']! >= 299 && at['stuck2 timed out']! < 1100, `stuck2 at ${at['stuck2 timed out']}, its own deadline`);
  });

  it('thousands of calls answered in time leave nothing to time out', async () => {
    const withDeadline = deadlines(100, 'redis');
    const values = await Promise.all(Array.from({ length: 5000 }, (_, i) => withDeadline(async (d) => (d.expired ? -1 : i))));
    assert.deepEqual(values.slice(0, 3), [0, 1, 2]);
    assert.equal(values.at(-1), 4999);
    await sleep(150);
    assert.equal(await withDeadline(async (d) => d.expired), false, 'a later call starts with a fresh deadline');
  });

  it('a body that fails after its deadline, or throws synchronously, never rejects unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const withDeadline = deadlines(50, 'redis');
      await assert.rejects(withDeadline(() => sleep(120).then(() => Promise.reject(new Error('late')))), isTimeout);
      await assert.rejects(
        withDeadline(() => {
          throw new Error('sync');
        }),
        /sync/,
      );
      await sleep(150);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('0 means no deadline: the body runs as it is, never expired', async () => {
    const withDeadline = deadlines(0, 'redis');
    assert.equal(await withDeadline(async (d) => d.expired), false);
    assert.equal(await withDeadline(async () => sleep(30).then(() => 'late but fine')), 'late but fine');
  });

  it('an idle store keeps no process alive; a pending call does, until its deadline', async () => {
    const module = fileURLToPath(new URL('../../src/storage/deadline.ts', import.meta.url));
    const run = (code: string): Promise<{ ms: number; out: string }> =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const script = `import { deadlines } from ${JSON.stringify(module)};\n${code}`;
        execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 }, (err, out) => {
          if (err) reject(err);
          else resolve({ ms: performance.now() - started, out: out.trim() });
        });
      });
    // Answered calls with a 60 s deadline: the process ends as soon as its work is done.
    const idle = await run(`const d = deadlines(60_000, 'redis'); for (let i = 0; i < 100; i++) await d(async () => i); console.log('done');`);
    assert.equal(idle.out, 'done');
    // Nothing else is alive but a call nobody answers: the process waits for its deadline.
    const pending = await run(`const d = deadlines(1500, 'redis'); d(() => new Promise(() => {})).catch((e) => console.log(e.name));`);
    assert.equal(pending.out, 'TimeoutError');
    assert.ok(pending.ms - idle.ms > 1000, `the pending call kept the process up ${Math.round(pending.ms)} ms (idle one: ${Math.round(idle.ms)} ms)`);
    assert.ok(idle.ms < 10_000, `the idle process ended after ${Math.round(idle.ms)} ms`);
  });
});
