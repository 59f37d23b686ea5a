import http from 'node:http';
import { createSessionManager } from 'httpsession';

const sessions = createSessionManager<{ visits: number }>({
  secret: process.env.SESSION_SECRET, // 32+ random characters: npx httpsession secret
  audience: 'shop',
});

const server = http.createServer(async (req, res) => {
  const session = await sessions.start(req, res); // the cookie's session, or a new one
  const visits = (session.get('visits') ?? 0) + 1;
  session.set('visits', visits);
  await session.save(); // seals the data into the cookie, under a new session id
  res.end(`visit ${visits}\n`);
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
