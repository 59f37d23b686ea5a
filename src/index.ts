/**
 * httpsession: framework-agnostic HTTP sessions. Encrypted cookies byte-compatible with
 * lua-resty-session 4, idle/rolling/absolute timeouts, several audiences in one cookie, remember-me,
 * key rotation and pluggable server-side storage, over `node:http` or the Fetch API.
 *
 * Nothing Node-only is imported from here: node:crypto is used when the runtime provides it.
 *
 * @example
 * import { createSessionManager } from 'httpsession';
 * const sessions = createSessionManager({ secret: process.env.SESSION_SECRET });
 *
 * @module
 */
export { createSessionManager, type FetchOpenOptions, type SessionManager, type SubjectSession } from './manager.ts';
export { Session, type SessionState, type TimeRemaining } from './session.ts';
export {
  HEADER_NAMES,
  luaRestySessionCookie,
  type BindTarget,
  type CookieOptions,
  type HeaderProperty,
  type HeaderTransportOptions,
  type SessionOptions,
  type Timeouts,
  type TransportOption,
} from './options.ts';
export { SessionError, SessionTooLargeError, isSessionError, type InvalidCookie, type InvalidReason, type SessionErrorCode } from './errors.ts';
export {
  SESSION_EVENT_NAMES,
  type BindingEvent,
  type BindingListener,
  type ExpiredTimeout,
  type SessionEventListener,
  type SessionEventMap,
  type SessionEventName,
  type SessionEvents,
  type UnbindingEvent,
} from './events.ts';
export type { MigrateData, StandardSchemaIssue, StandardSchemaProps, StandardSchemaResult, StandardSchemaV1 } from './schema.ts';
export type { JsonValue } from './json.ts';
export type { RevocationOptions } from './revocation.ts';
export { spillover, type SpilloverStorage } from './spillover.ts';
export type { Storage, StorageMetadata, StorageSetInput, StorageSetResult } from './storage/types.ts';
export type { HttpExchange } from './http/types.ts';
export { nodeExchange, type NodeRequest, type NodeResponse } from './http/node.ts';
export { fetchExchange, type FetchExchangeOptions } from './http/fetch.ts';
export type { CryptoBackend } from './codec/crypto.ts';
export type { RememberSafety } from './codec/keys.ts';
