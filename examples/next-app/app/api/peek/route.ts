import { invalid, session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** Reads without changing anything: no Set-Cookie unless a touch is due. */
export const GET = session.route(async (_request: Request, s) =>
  Response.json({ count: s.get('count') ?? null, user: s.get('user') ?? null, isNew: s.isNew, invalid }),
);
