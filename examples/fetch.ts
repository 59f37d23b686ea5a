import { createSessionManager } from 'httpsession';

const sessions = createSessionManager<{ visits: number }>({ secret: process.env.SESSION_SECRET });

// Deno.serve, Bun.serve, Cloudflare Workers and Hono all call a handler like this one.
export default {
  async fetch(request: Request): Promise<Response> {
    const headers = new Headers({ 'content-type': 'text/plain' });
    const session = await sessions.start(request, headers); // Set-Cookie lines go into `headers`
    const visits = (session.get('visits') ?? 0) + 1;
    session.set('visits', visits);
    await session.save();
    return new Response(`visit ${visits}\n`, { headers });
  },
};
