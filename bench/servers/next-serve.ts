/**
 * What the Next.js servers share: the bench's Next app (bench/next-app.ts), built once per run by the
 * harness, served in this process through Next's custom-server API (`next({ dev: false, dir })`, then
 * its request handler on a `node:http` server). That is the request path of `next start` (both go
 * through Next's `getRequestHandlers`), with the server in the process the harness forked, so its CPU is
 * read over IPC like every other case's. Started by hand (no `BENCH_NEXT_DIR`), it builds the app itself
 * and removes it on stop.
 */
import http from 'node:http';
import next from 'next';
import { buildNextApp, NEXT_DIR_ENV, removeNextApp } from '../next-app.ts';
import { listen, serveListening } from './common.ts';

/** `next`'s default export as it is at run time (`module.exports = createServer`; its types say otherwise). */
type CreateServer = (options: { dev: boolean; dir: string; hostname?: string; quiet?: boolean }) => {
  prepare(): Promise<void>;
  getRequestHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  close(): Promise<void>;
};
const createServer = next as unknown as CreateServer;

/** Serves the bench's Next app on 127.0.0.1; the case's route is requested by the harness (its `path`). */
export async function serveNext(): Promise<void> {
  const given = process.env[NEXT_DIR_ENV];
  const dir = given ?? buildNextApp((line) => console.log(line));
  const app = createServer({ dev: false, dir, hostname: '127.0.0.1', quiet: true });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => void handle(req, res));
  await listen(server);
  await serveListening(
    server,
    { cleanup: async () => (given === undefined ? removeNextApp(dir) : undefined) },
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  );
}
