/**
 * cookie-session on bare node:http: the session is base64 JSON in a signed (not encrypted) cookie plus a
 * `.sig` cookie, written when the response headers go out.
 */
import cookieSession from 'cookie-session';
import { main, reply, SECRET, serve } from './common.ts';

main(async () => {
  const middleware = cookieSession({ name: 'session', keys: [SECRET] });
  await serve(
    (req, res) =>
      new Promise<void>((resolve, reject) => {
        middleware(req, res, (error?: unknown) => {
          if (error) return reject(error);
          const data = (req as { session?: { n?: number } | null }).session!;
          const n = (data.n ?? 0) + 1;
          data.n = n;
          reply(res, n);
          resolve();
        });
      }),
  );
});
