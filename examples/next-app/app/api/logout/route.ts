import { session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

export const POST = session.route(async (_request: Request, s) => {
  await s.logout();
  return new Response(null, { status: 204 });
});
