import { session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** Logs in: a new id (no fixation), the subject set, the data kept. */
export const POST = session.route(async (request: Request, s) => {
  const { user } = (await request.json()) as { user: string };
  await s.regenerate();
  s.setSubject(user);
  s.set('user', user);
  return Response.json({ user });
});
