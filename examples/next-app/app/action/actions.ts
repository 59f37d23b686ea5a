'use server';
import { session } from '../../lib/session.ts';

/** A Server Action: the session comes from cookies() and is saved through it when the action returns. */
export const increment = session.action(async (s, _form: FormData) => {
  s.set('count', (s.get('count') ?? 0) + 1);
});
