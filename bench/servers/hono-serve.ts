/**
 * What the Hono servers share: serving an app over @hono/node-server on 127.0.0.1 and an ephemeral port,
 * then reporting it to the harness.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { serveListening } from './common.ts';

/**
 * Serves a Hono app.
 * @param app - any Hono app (its environment does not matter here)
 */
// biome-ignore lint: any environment and schema
export async function serveHono(app: Hono<any, any, any>): Promise<void> {
  let server: unknown;
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  await serveListening(server as Server);
}
