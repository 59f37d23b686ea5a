import assert from 'node:assert/strict';
import { createSessionManager } from 'httpsession';

const oldSecret = 'the-secret-we-used-until-today-0123456789';
const newSecret = 'the-secret-we-use-from-now-on-9876543210';

const before = createSessionManager({ secret: oldSecret });
// Rotation: the new secret seals, the old one still opens the cookies it sealed.
const after = createSessionManager({ secret: newSecret, secretFallbacks: [oldSecret] });
const onlyNew = createSessionManager({ secret: newSecret });

const cookieOf = (headers: Headers): string => headers.getSetCookie()[0]!.split(';')[0]!;
const request = (cookie: string) => new Request('https://example.com/', { headers: { cookie } });

// A cookie sealed with the old secret, before the rotation.
const issued = new Headers();
const session = await before.start(new Request('https://example.com/'), issued);
session.set('cart', ['apple']);
await session.save();
const oldCookie = cookieOf(issued);

// After the rotation it still opens, and its next save seals it with the new secret.
const resealed = new Headers();
const reopened = await after.start(request(oldCookie), resealed);
assert.deepEqual(reopened.get('cart'), ['apple']);
await reopened.save();

// The re-sealed cookie no longer needs the old secret; the old cookie does.
assert.deepEqual((await onlyNew.start(request(cookieOf(resealed)), new Headers())).get('cart'), ['apple']);
assert.equal((await onlyNew.start(request(oldCookie), new Headers())).isNew, true);
