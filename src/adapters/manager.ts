/**
 * What every framework adapter shares: it takes a {@link SessionManager} or the options to create one.
 *
 * @module
 */
import { createSessionManager, type SessionManager } from '../manager.ts';
import type { SessionOptions } from '../options.ts';

/**
 * Whether a value is a session manager (rather than the options of one).
 * @param value - a manager or options
 */
export function isSessionManager(value: unknown): value is SessionManager {
  const m = value as Partial<SessionManager> | null | undefined;
  return typeof m?.start === 'function' && typeof m.open === 'function' && typeof m.options === 'object';
}

/**
 * The manager an adapter uses: the one given, or one created from options.
 * @param value - a manager, or options for {@link createSessionManager}
 * @returns the manager
 * @throws TypeError or RangeError naming the first invalid option (from {@link createSessionManager})
 * @example const sessions = managerOf<{ visits: number }>({ secret: process.env.SESSION_SECRET });
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export function managerOf<Data extends Record<string, unknown> = Record<string, any>>(value: SessionManager<Data> | SessionOptions): SessionManager<Data> {
  if (isSessionManager(value)) return value as SessionManager<Data>;
  if (typeof value !== 'object' || value === null) throw new TypeError('expected a SessionManager or the options of createSessionManager');
  return createSessionManager<Data>(value as SessionOptions);
}
