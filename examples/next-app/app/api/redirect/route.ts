import { session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** A redirect (an immutable Response) still carries the session's cookie. */
export const POST = session.route(async (request: Request, s) => {
  s.set('notice', 'saved');
  return Response.redirect(new URL('/api/peek', request.url), 303);
});
