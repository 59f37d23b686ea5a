/**
 * httpsession's Next adapter (`httpsession/next`), cookie storage: the Route Handler wrapped by `route()`, committed onto its response, no save call.
 * The route is app/httpsession/route.js of bench/next-app.ts.
 */
import { main } from './common.ts';
import { serveNext } from './next-serve.ts';

main(serveNext);
