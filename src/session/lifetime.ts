/**
 * How long a session's cookies, records and revocation marks live, from its timeouts and times (spec 3).
 * All times are Unix seconds; a timeout of 0 is disabled.
 *
 * @module
 */
import { MAX_COOKIE_LIFETIME } from '../cookie/serialize.ts';
import type { Timeouts } from '../options.ts';
import type { TimeRemaining } from './types.ts';

/**
 * Seconds a cookie could still be accepted: the rolling or absolute time left (idling can be extended).
 * What a revocation mark of its id must outlive.
 * @returns at least 1
 */
export function lifetimeLeft(creationTime: number, rollingOffset: number, t: Timeouts, now: number): number {
  let left = MAX_COOKIE_LIFETIME;
  if (t.rolling > 0) left = Math.min(left, t.rolling - (now - creationTime - rollingOffset));
  if (t.absolute > 0) left = Math.min(left, t.absolute - (now - creationTime));
  return Math.max(left, 1);
}

/**
 * Store TTL of a record written at `now`: the rolling or absolute time left, whichever is closer (fixes
 * spec bug 10.1).
 * @returns at least 1
 */
export function storeTtl(t: Timeouts, now: number, creationTime: number): number {
  let ttl = t.rolling > 0 && t.rolling < MAX_COOKIE_LIFETIME ? t.rolling : MAX_COOKIE_LIFETIME;
  if (t.absolute > 0 && t.absolute < MAX_COOKIE_LIFETIME) ttl = Math.min(ttl, t.absolute - (now - creationTime));
  return Math.max(ttl, 1);
}

/**
 * Max-Age of a remember cookie (and TTL of its record) sealed `rollingOffset` seconds after its creation:
 * its rolling timeout, capped by the absolute time left and by what a browser keeps.
 * @param t - the remember timeouts
 */
export function rememberMaxAge(t: Timeouts, rollingOffset: number): number {
  const rolling = t.rolling > 0 && t.rolling < MAX_COOKIE_LIFETIME ? t.rolling : MAX_COOKIE_LIFETIME;
  return Math.min(rolling, t.absolute > 0 ? Math.max(t.absolute - rollingOffset, 1) : MAX_COOKIE_LIFETIME);
}

/** When each of a session's timeouts started counting, Unix seconds. */
export interface TimeoutStarts {
  readonly lastAccessed: number;
  readonly rolling: number;
  readonly created: number;
}

/**
 * Seconds left before each enabled timeout.
 * @param t - the timeouts in force
 * @param starts - when each timeout started counting
 * @param now - the current time (not rounded)
 * @returns remaining seconds (never negative), `undefined` where a timeout is disabled
 */
export function timeRemaining(t: Timeouts, starts: TimeoutStarts, now: number): TimeRemaining {
  const left = (limit: number, since: number): number | undefined => (limit > 0 ? Math.max(0, Math.floor(limit - (now - since))) : undefined);
  return { idling: left(t.idling, starts.lastAccessed), rolling: left(t.rolling, starts.rolling), absolute: left(t.absolute, starts.created) };
}

/**
 * The closest of the remaining times.
 * @returns seconds, or `undefined` when no timeout is enabled
 */
export function closestTimeout(r: TimeRemaining): number | undefined {
  let min: number | undefined;
  for (const v of [r.idling, r.rolling, r.absolute]) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
}

/** The times of the cookie a client holds, as `refresh` weighs them. */
export interface HeldTimes {
  readonly creationTime: number;
  readonly rollingOffset: number;
  readonly idlingOffset: number;
}

/**
 * What keeping a session alive calls for now (`refresh`, `commit`): a save (new id) when more than 3/4
 * of the rolling timeout has passed, else a touch when more than `touchThreshold` seconds passed since
 * the last touch, else nothing.
 * @param t - the timeouts in force
 * @param c - the held cookie's times
 * @param now - Unix seconds (whole)
 * @param touchThreshold - seconds between touches
 */
export function refreshDue(t: Timeouts, c: HeldTimes, now: number, touchThreshold: number): 'save' | 'touch' | 'none' {
  if (t.rolling === 0 && t.idling === 0) return 'none';
  const elapsed = now - c.creationTime - c.rollingOffset;
  if (t.rolling > 0 && elapsed > Math.ceil(t.rolling * 0.75)) return 'save';
  if (t.idling > 0 && elapsed - c.idlingOffset > touchThreshold) return 'touch';
  return 'none';
}
