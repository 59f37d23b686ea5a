/**
 * The memory benchmark: bytes of V8 heap per idle session in the memory store. Each size runs in a child
 * process of its own (`--expose-gc`, so the heap can be measured after a full collection, and a fresh
 * heap per size); see memory-child.ts for what is measured.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemoryChildResult } from './memory-child.ts';

export type { MemoryChildResult as MemoryResult } from './memory-child.ts';

const TSX = import.meta.resolve('tsx');
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

/**
 * Measures the heap per idle session at each size, one child process per size.
 * @param sizes - session counts, e.g. `[1e5, 1e6]`
 * @param log - progress lines
 */
export async function runMemory(sizes: readonly number[], log: (line: string) => void = () => {}): Promise<MemoryChildResult[]> {
  const results: MemoryChildResult[] = [];
  for (const sessions of sizes) {
    const result = await measure(sessions);
    log(`memory: ${sessions} sessions: ${result.bytesPerSession.toFixed(1)} bytes/session (value ${result.valueLength} chars)`);
    results.push(result);
  }
  return results;
}

function measure(sessions: number): Promise<MemoryChildResult> {
  const args = ['--expose-gc', '--max-old-space-size=4096', '--import', TSX, CHILD, String(sessions)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`memory child failed: ${stderr.trim() || error.message}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as MemoryChildResult);
      } catch {
        reject(new Error(`memory child printed no result: ${stdout}`));
      }
    });
  });
}
