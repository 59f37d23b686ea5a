import { session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** Counts visits: the session changes, and the adapter saves it without a call. */
export const GET = session.route(async (_request: Request, s) => {
  const count = (s.get('count') ?? 0) + 1;
  s.set('count', count);
  return Response.json({ count, user: s.get('user') ?? null, isNew: s.isNew });
});
