import assert from 'node:assert/strict';
import { createSessionManager, type Session } from 'httpsession';
import { fixedClock } from 'httpsession/testing';

const clock = fixedClock();
const sessions = createSessionManager({
  secret: 'timeouts-example-secret-32-chars-long',
  idlingTimeout: 900, // 15 min without a request
  rollingTimeout: 3600, // 1 h without a save
  absoluteTimeout: 86_400, // 1 day after creation, whatever happens
  now: clock.now,
});

// One browser: a Cookie header fed from the Set-Cookie lines of each response.
let cookie = '';
async function visit(change?: (session: Session) => void): Promise<Session> {
  const response = new Headers();
  const request = new Request('http://localhost/', { headers: cookie ? { cookie } : {} });
  const session = await sessions.start(request, response); // open + refresh: touches or saves when due
  if (change !== undefined) {
    change(session);
    await session.save();
  }
  const line = response.getSetCookie().at(-1);
  if (line !== undefined) cookie = line.split(';')[0]!;
  return session;
}

const first = await visit((session) => session.set('user', 'alice'));
assert.deepEqual(first.timeRemaining(), { idling: 900, rolling: 3600, absolute: 86_400 });

clock.advance(600); // 10 minutes later: still there, and the visit restarts the idle timeout
const later = await visit();
assert.equal(later.get('user'), 'alice');
assert.equal(later.timeToLive, 900);

clock.advance(901); // more than 15 minutes without a request: gone
const idle = await visit();
assert.equal(idle.isNew, true);
assert.equal(idle.get('user'), undefined);
