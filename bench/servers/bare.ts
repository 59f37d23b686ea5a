/**
 * The limit: bare `node:http`, no session. A process-wide counter stands in for the session's, so the
 * reply has the same shape as every other case's.
 */
import { main, reply, serve } from './common.ts';

main(async () => {
  let n = 0;
  await serve((_req, res) => reply(res, ++n));
});
