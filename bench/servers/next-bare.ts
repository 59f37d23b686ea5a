/**
 * Next.js 15 App Router with no session: a Route Handler replying a process-wide counter, to read the Next session cases against.
 * The route is app/bare/route.js of bench/next-app.ts.
 */
import { main } from './common.ts';
import { serveNext } from './next-serve.ts';

main(serveNext);
