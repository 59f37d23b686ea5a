/**
 * The session properties `setHeaders` sends as request and response headers (`Session-Id`,
 * `Session-Timeout`, ...).
 *
 * @module
 */
import type { HeaderProperty } from '../options.ts';
import type { TimeRemaining } from './types.ts';

/** The parts of a session its header properties are read from. */
export interface HeaderSource {
  readonly id: string;
  readonly audience: string;
  readonly subject: string | undefined;
  readonly timeToLive: number | undefined;
  timeRemaining(): TimeRemaining;
}

/**
 * The value of one header property.
 * @param p - the property
 * @param session - the session it is read from
 * @param saved - whether the session has an id the client holds (else `'id'` has no value)
 * @returns the header value, or `undefined` when the property has none
 */
export function headerValue(p: HeaderProperty, session: HeaderSource, saved: boolean): string | undefined {
  switch (p) {
    case 'id':
      return saved ? session.id : undefined;
    case 'audience':
      return session.audience;
    case 'subject':
      return session.subject;
    default: {
      const r = session.timeRemaining();
      const v = p === 'timeout' ? session.timeToLive : p === 'idling-timeout' ? r.idling : p === 'rolling-timeout' ? r.rolling : r.absolute;
      return v === undefined ? undefined : String(v);
    }
  }
}
