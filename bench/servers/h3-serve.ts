/**
 * What the h3 servers share: an h3 1.x app served on `node:http` through `toNodeListener` (h3 on Node, as
 * Nitro 2's node presets run it), listening on 127.0.0.1 and an ephemeral port, reported to the harness.
 */
import http from 'node:http';
import { toNodeListener, type App } from 'h3';
import { listen, serveListening } from './common.ts';

/**
 * Serves an h3 app.
 * @param app - an app from `createApp()` with its routes
 */
export async function serveH3(app: App): Promise<void> {
  const server = http.createServer(toNodeListener(app));
  await listen(server);
  await serveListening(server);
}
