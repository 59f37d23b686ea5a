import assert from 'node:assert/strict';
import { createSessionManager } from 'httpsession';
import { fixedClock } from 'httpsession/testing';

const clock = fixedClock(); // time moves only when the test says so
const sessions = createSessionManager({ secret: 'test-secret-that-is-32-chars-long', now: clock.now });

const response = new Headers();
const session = await sessions.start(new Request('http://localhost/'), response);
session.set('cart', ['apple']);
await session.save();
const cookie = response.getSetCookie()[0]!.split(';')[0]!;

clock.advance(600); // ten minutes later: still there
const again = await sessions.start(new Request('http://localhost/', { headers: { cookie } }), new Headers());
assert.deepEqual(again.get('cart'), ['apple']);

clock.advance(901); // past the 15-minute idle timeout: a new, empty session
const expired = await sessions.start(new Request('http://localhost/', { headers: { cookie } }), new Headers());
assert.equal(expired.isNew, true);
assert.equal(expired.get('cart'), undefined);
