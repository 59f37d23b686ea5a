/**
 * Runs a server example of examples/ in a child process (`node --import tsx`, as its header says) on a
 * free port, waits until it answers, hands its base URL to `fn`, and stops it whatever `fn` does.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './redis.ts';
import { LONG_SECRET } from './http.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * @param file - the example, relative to the repository root (it listens on `PORT`)
 * @param fn - receives `http://127.0.0.1:<port>`
 */
export async function runExample(file: string, fn: (base: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), SESSION_SECRET: LONG_SECRET, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => void (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => void (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${file} to listen`, async () => {
      if (child.exitCode !== null) throw new Error(`${file} exited: ${output}`);
      await fetch(base, { method: 'HEAD' });
      return true;
    }, 30_000, 100);
    await fn(base);
  } finally {
    child.kill();
    await exited;
  }
}
