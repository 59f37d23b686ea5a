/**
 * h3 1.x's own `useSession` (the session every h3 and Nuxt app has at hand): the data sealed into the
 * cookie with iron-webcrypto, re-sealed by every `update()`.
 */
import { createApp, createRouter, defineEventHandler, setResponseHeader, useSession } from 'h3';
import { main, SECRET } from './common.ts';
import { serveH3 } from './h3-serve.ts';

main(async () => {
  const config = { password: SECRET, name: 'session', maxAge: 900, cookie: { secure: false, httpOnly: true, sameSite: 'lax' as const } };
  const app = createApp();
  app.use(
    createRouter().get(
      '/',
      defineEventHandler(async (event) => {
        const session = await useSession<{ n?: number }>(event, config);
        const n = (session.data.n ?? 0) + 1;
        await session.update({ n });
        setResponseHeader(event, 'content-type', 'text/plain');
        return String(n);
      }),
    ),
  );
  await serveH3(app);
});
