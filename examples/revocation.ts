import assert from 'node:assert/strict';
import { createSessionManager } from 'httpsession';
import { memoryStorage } from 'httpsession/storage/memory';

// Server-side storage with a per-subject index: a user's sessions can be listed and revoked.
const sessions = createSessionManager({
  secret: 'revocation-example-secret-32-chars-long',
  storage: memoryStorage(),
  storeMetadata: true,
});

/** Logs `subject` in from a new browser and returns that browser's cookie. */
async function logIn(subject: string): Promise<string> {
  const response = new Headers();
  const session = await sessions.start(new Request('https://example.com/'), response);
  session.setSubject(subject);
  await session.regenerate(); // a new id on login: no session fixation
  return response.getSetCookie()[0]!.split(';')[0]!;
}
const subjectOf = async (cookie: string) =>
  (await sessions.start(new Request('https://example.com/', { headers: { cookie } }), new Headers())).subject;

const laptop = await logIn('alice');
const phone = await logIn('alice');
assert.equal((await sessions.listSessions('alice')).length, 2);

// "Log out everywhere": every session of the subject is deleted, and each cookie stops working at once.
assert.equal(await sessions.revokeSubject('alice'), 2);
assert.equal(await subjectOf(laptop), undefined);
assert.equal(await subjectOf(phone), undefined);
