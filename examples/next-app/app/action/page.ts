import { createElement } from 'react';
import { session } from '../../lib/session.ts';
import { increment } from './actions.ts';

export const dynamic = 'force-dynamic';

/** A Server Component reads the session (read-only) and renders a form posting to the Server Action. */
export default async function Page() {
  const s = await session.read();
  let refused = 'no';
  try {
    s.set('notice', 'from a component');
    await s.save();
  } catch (err) {
    refused = (err as { code?: string }).code ?? 'unknown';
  }
  return createElement(
    'main',
    null,
    createElement('p', { id: 'count' }, `count=${s.get('count') ?? 0}`),
    createElement('p', { id: 'refused' }, `refused=${refused}`),
    createElement('form', { action: increment }, createElement('button', { type: 'submit' }, 'increment')),
  );
}
