/**
 * Runs the `httpsession` command in-process through `main`, capturing what it writes.
 */
import { main, type InspectReport } from '../../src/cli.ts';

/** One run: the exit code, both outputs, and the JSON report when stdout holds one. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The parsed stdout when it is a JSON object (an inspect report), else `undefined` (typed loosely for tests). */
  readonly report: InspectReport;
}

/** Runs the command line `argv` and captures its outputs. */
export async function runCli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const report = (stdout.startsWith('{') ? JSON.parse(stdout) : undefined) as InspectReport;
  return { code, stdout, stderr, report };
}
