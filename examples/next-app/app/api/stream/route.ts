import { session } from '../../../lib/session.ts';

export const dynamic = 'force-dynamic';

/** A streamed body: the headers, with the cookie, go out before the body is produced. */
export const GET = session.route(async (_request: Request, s) => {
  s.set('count', (s.get('count') ?? 0) + 1);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const part of ['one ', 'two ', 'three']) {
        controller.enqueue(encoder.encode(part));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/plain' } });
});
