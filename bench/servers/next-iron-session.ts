/**
 * iron-session 8 in a Next.js 15 Route Handler over `cookies()` (next/headers): the usual Next session library, re-sealed on every `save()`.
 * The route is app/iron-session/route.js of bench/next-app.ts.
 */
import { main } from './common.ts';
import { serveNext } from './next-serve.ts';

main(serveNext);
