import assert from 'node:assert/strict';
import { createSessionManager } from 'httpsession';

// Two applications on one site share one cookie; each has its own audience and sees only its own data.
const secret = 'audiences-example-secret-32-chars-long';
const shop = createSessionManager<{ cart: string[] }>({ secret, audience: 'shop' });
const forum = createSessionManager<{ posts: number }>({ secret, audience: 'forum' });

let cookie = '';
async function visit<S extends typeof shop | typeof forum>(app: S) {
  const response = new Headers();
  const session = await app.start(new Request('https://example.com/', { headers: cookie ? { cookie } : {} }), response);
  return {
    session: session as Awaited<ReturnType<S['start']>>,
    async save() {
      await session.save();
      cookie = response.getSetCookie()[0]!.split(';')[0]!;
    },
  };
}

const inShop = await visit(shop);
inShop.session.setSubject('alice').set('cart', ['apple']);
await inShop.save();

const inForum = await visit(forum);
assert.equal(inForum.session.isNew, true, 'no forum entry in the cookie yet');
assert.equal(inForum.session.get('posts'), undefined);
inForum.session.setSubject('alice').set('posts', 1);
await inForum.save(); // writes both audiences' entries back

assert.deepEqual((await visit(shop)).session.get('cart'), ['apple']);
assert.equal((await visit(forum)).session.get('posts'), 1);
