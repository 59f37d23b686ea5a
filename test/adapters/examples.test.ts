// examples/express.ts and examples/koa.ts, each run as a process (as `node --import tsx examples/<x>.ts`
// runs them) and driven over HTTP: visits count up, login regenerates, logout ends the session.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, runExample } from '../helpers/adapters.ts';

const SECRET = 'adapter-example-secret-adapter-example-secret';

for (const file of ['examples/express.ts', 'examples/koa.ts']) {
  describe(file, () => {
    it('counts visits, logs in with a new id, logs out', async () => {
      const app = await runExample(file, { SESSION_SECRET: SECRET, NODE_ENV: 'development' });
      try {
        const c = new Client(app.base);
        assert.equal((await c.get('/')).body, 'visit 1\n');
        assert.equal((await c.get('/')).body, 'visit 2\n');
        const before = c.jar.get('session');
        const login = await c.post('/login');
        assert.equal(login.status, 303);
        assert.notEqual(c.jar.get('session'), before, 'a new session id on login');
        assert.equal((await c.get('/')).body, 'visit 3 as alice\n');
        assert.equal((await c.post('/logout')).status, 303);
        assert.equal((await c.get('/')).body, 'visit 1\n');
      } finally {
        await app.close();
      }
    });
  });
}
