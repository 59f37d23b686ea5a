import { NextResponse, type NextRequest } from 'next/server.js';
import { session } from './lib/session.ts';

export const config = { matcher: '/mw/:path*', runtime: 'nodejs' };

/** Middleware counts /mw visits in the session and commits it onto the response it returns. */
export function middleware(request: NextRequest) {
  return session.middleware(request, (s) => {
    s.set('count', (s.get('count') ?? 0) + 1);
    return NextResponse.redirect(new URL('/api/peek', request.url));
  });
}
