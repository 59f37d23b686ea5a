/**
 * Runs the CLI from source in a child process, the way bin/httpsession.js runs the built one:
 * `node --import tsx test/cli/run-cli.ts inspect ...`. Used by the end-to-end test in cli.test.ts.
 */
import { main } from '../../src/cli.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
