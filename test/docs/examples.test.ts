// The examples shown on the docs site's pages (`<!-- example: examples/x.ts -->`): each runs its own
// assertions here. test/docs/site.test.ts checks that the pages show these files verbatim.
import { describe, it } from 'node:test';

describe('docs site examples', () => {
  it('examples/timeouts.ts: the idle timeout restarts on each visit and ends an idle session', async () => {
    await import('../../examples/timeouts.ts');
  });
  it('examples/rotation.ts: a cookie sealed with a fallback secret opens and is re-sealed with the new one', async () => {
    await import('../../examples/rotation.ts');
  });
  it('examples/revocation.ts: log out everywhere ends every session of the subject', async () => {
    await import('../../examples/revocation.ts');
  });
  it('examples/lua-interop.ts: a cookie issued by lua-resty-session 4.1.5 opens with the same secret', async () => {
    await import('../../examples/lua-interop.ts');
  });
  it('examples/audiences.ts: two audiences share one cookie and see only their own data', async () => {
    await import('../../examples/audiences.ts');
  });
});
