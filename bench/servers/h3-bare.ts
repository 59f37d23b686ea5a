/**
 * h3 1.x on node:http with no session: what the framework alone costs, to read the h3 session cases
 * against.
 */
import { createApp, createRouter, defineEventHandler, setResponseHeader } from 'h3';
import { main } from './common.ts';
import { serveH3 } from './h3-serve.ts';

main(async () => {
  let n = 0;
  const app = createApp();
  app.use(
    createRouter().get(
      '/',
      defineEventHandler((event) => {
        setResponseHeader(event, 'content-type', 'text/plain');
        return String(++n);
      }),
    ),
  );
  await serveH3(app);
});
