/**
 * Types the framework adapters share: the session type built from an application's `SessionData`
 * interface (each adapter exports its own, for the application to augment).
 *
 * @module
 */
import type { Session } from '../session.ts';

/**
 * A {@link Session} over the attributes of `Data`, an interface an application augments; over any
 * attributes while `Data` is empty. (`Session` takes an object type: an interface is mapped into one.)
 * @typeParam Data - an adapter's augmentable `SessionData` interface
 */
// biome-ignore lint: `any` default keeps untyped use ergonomic
export type SessionOf<Data> = Session<[keyof Data] extends [never] ? Record<string, any> : { [K in keyof Data]: Data[K] }>;
