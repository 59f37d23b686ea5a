/**
 * httpsession's h3 adapter (`httpsession/h3`), cookie storage, in h3 1.x on node:http: the app's hooks
 * (`createApp({ ...h3Session(sessions) })`) open the session in `onRequest` and commit it in
 * `onBeforeResponse`; the handler reads it with `useHttpSession` and never saves. Compare with `h3-bare`
 * and `h3-session` (h3's own `useSession`).
 */
import { createApp, createRouter, defineEventHandler, setResponseHeader } from 'h3';
import type * as H3Adapter from '../../src/adapters/h3.ts';
import { main, SECRET } from './common.ts';
import { serveH3 } from './h3-serve.ts';
import { adapter, createSessionManager } from './lib.ts';

main(async () => {
  const { h3Session, useHttpSession } = await adapter<typeof H3Adapter>('h3');
  const sessions = createSessionManager<{ n: number }>({ secret: SECRET, crypto: 'node' });
  const app = createApp({ ...h3Session(sessions) });
  app.use(
    createRouter().get(
      '/',
      defineEventHandler(async (event) => {
        const session = await useHttpSession(event, sessions);
        const n = (session.get('n') ?? 0) + 1;
        session.set('n', n);
        setResponseHeader(event, 'content-type', 'text/plain');
        return String(n);
      }),
    ),
  );
  await serveH3(app);
});
