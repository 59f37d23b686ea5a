import { outageSessions } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** Saves into Redis: while it is down, the save's SessionError goes to Next.js' own error path (500). */
export const POST = (request: Request, context: unknown) =>
  outageSessions().route(async (_request: Request, s) => {
    s.set('count', (s.get('count') ?? 0) + 1);
    return Response.json({ count: s.get('count') });
  })(request, context);
