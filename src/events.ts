/**
 * Lifecycle events of a manager's sessions (`created`, `saved`, `refreshed`, `regenerated`, `destroyed`,
 * `expired`, `invalid`, `attributeAdded` / `Replaced` / `Removed`) and per-attribute binding listeners
 * (the servlet's `valueBound` / `valueUnbound`, registered by attribute name: the values stay JSON).
 *
 * A small typed emitter of its own rather than `EventTarget` or `node:events`: `node:events` is Node-only
 * (the core runs on any Fetch runtime), and an `EventTarget` listener that throws is reported as an
 * uncaught exception (on Node it ends the process), while here a listener that throws, or returns a
 * promise that rejects, is reported to the manager's `logger` and the request goes on. Payloads are
 * typed per event, with no `CustomEvent.detail` wrapping.
 *
 * Listeners run synchronously, in registration order, when the change happens; a promise a listener
 * returns is not awaited. Payloads are built only when an event has listeners, so sessions of a manager
 * without listeners pay nothing but a flag check.
 *
 * @module
 */
import { base64urlEncode } from './codec/base64url.ts';
import type { InvalidCookie } from './errors.ts';
import type { JsonValue } from './json.ts';
import type { ResolvedOptions } from './options.ts';
import type { Session } from './session.ts';

// biome-ignore lint: `any` default keeps untyped use ergonomic
type AnyData = Record<string, any>;

/** Which timeout an `expired` cookie passed (a cookie older than the format's 136 years counts as absolute). */
export type ExpiredTimeout = 'idling' | 'rolling' | 'absolute';

/** The payload of each event of {@link SessionEvents}, by event name. */
export interface SessionEventMap<Data extends Record<string, unknown> = AnyData> {
  /**
   * A session the client held no cookie of was saved for the first time (it fires before `saved`). A
   * session restored from a remember cookie is created too (its `isNew` is false: the client sent one).
   */
  created: { readonly session: Session<Data> };
  /** A save succeeded (`save()`, `regenerate()`, a save by `refresh()` or `commit()`); `session.id` is the new id. */
  saved: { readonly session: Session<Data> };
  /** `refresh()` (or `start()`, or `commit()` of an unmodified session) extended the session, or `touch()` did. */
  refreshed: { readonly session: Session<Data>; readonly action: 'touched' | 'saved' };
  /**
   * The session got a new id and its old one stopped working: `regenerate()`, or a save after the subject
   * changed. The ids are bearer secrets: hand them to code that needs them, never to a log.
   */
  regenerated: { readonly session: Session<Data>; readonly oldId: string; readonly newId: string };
  /**
   * `destroy()` or `logout()` ended this audience's session; `session` is closed already (any use of it
   * throws), so its id, audience and subject come with the event.
   */
  destroyed: {
    readonly session: Session<Data>;
    readonly how: 'destroy' | 'logout';
    readonly id: string;
    readonly audience: string;
    readonly subject: string | undefined;
  };
  /**
   * A request presented a cookie that opened but had timed out. The session is gone client-side: nothing
   * is sent for a cookie nobody presents again, so this fires only when its client comes back.
   */
  expired: { readonly cookie: 'session' | 'remember'; readonly timeout: ExpiredTimeout; readonly detail: string };
  /** A cookie was present but yielded no session: what `onInvalid` receives. */
  invalid: InvalidCookie;
  /** `set()` or `setData()` gave an attribute that was not set a value. */
  attributeAdded: { readonly session: Session<Data>; readonly name: keyof Data & string; readonly value: JsonValue };
  /** `set()` or `setData()` replaced an attribute's value (also with an equal one). */
  attributeReplaced: {
    readonly session: Session<Data>;
    readonly name: keyof Data & string;
    readonly oldValue: JsonValue;
    readonly value: JsonValue;
  };
  /** `remove()`, `set(name, undefined)`, `clear()` or `setData()` removed an attribute. */
  attributeRemoved: { readonly session: Session<Data>; readonly name: keyof Data & string; readonly oldValue: JsonValue };
}

/** The name of a session event. */
export type SessionEventName = keyof SessionEventMap;

/** A listener of one event; a promise it returns is not awaited (a rejection is logged). */
export type SessionEventListener<Data extends Record<string, unknown>, E extends SessionEventName> = (
  event: SessionEventMap<Data>[E],
) => void | Promise<void>;

/** What a {@link BindingListener}'s `bound` receives. */
export interface BindingEvent<Data extends Record<string, unknown> = AnyData, K extends keyof Data & string = keyof Data & string> {
  readonly session: Session<Data>;
  readonly name: K;
  readonly value: Data[K];
}

/** What a {@link BindingListener}'s `unbound` receives: why the value left the session. */
export interface UnbindingEvent<Data extends Record<string, unknown> = AnyData, K extends keyof Data & string = keyof Data & string>
  extends BindingEvent<Data, K> {
  /** `'replaced'` by `set` or `setData`, `'removed'` by `remove`, `clear` or `setData`, `'destroyed'` by `destroy` or `logout`. */
  readonly reason: 'replaced' | 'removed' | 'destroyed';
}

/**
 * Callbacks for the values of one attribute, like the servlet's `HttpSessionBindingListener`, but registered
 * by attribute name with {@link SessionEvents.onBinding} (a session value stays JSON).
 */
export interface BindingListener<Data extends Record<string, unknown> = AnyData, K extends keyof Data & string = keyof Data & string> {
  /** A value was set (`set`, `setData`). */
  bound?(event: BindingEvent<Data, K>): void | Promise<void>;
  /** A value left the session: replaced, removed, or the session destroyed or logged out. */
  unbound?(event: UnbindingEvent<Data, K>): void | Promise<void>;
}

/** The events a manager exposes: `sessions.on(...)`, `sessions.off(...)`, `sessions.onBinding(...)`. */
export interface SessionEvents<Data extends Record<string, unknown> = AnyData> {
  /**
   * Adds a listener of a session event.
   * @param event - the event name, e.g. `'saved'`
   * @param listener - called with the event's payload; if it throws (or its promise rejects) the error is
   *   reported to `logger` and the request goes on
   * @returns a function that removes the listener
   * @throws TypeError for an unknown event name or a listener that is not a function
   * @example
   * sessions.on('regenerated', ({ session }) => audit.log('login', session.subject));
   */
  on<E extends SessionEventName>(event: E, listener: SessionEventListener<Data, E>): () => void;
  /**
   * Removes a listener added with {@link on} (a no-op when it was not added).
   * @param event - the event name
   * @param listener - the listener to remove
   */
  off<E extends SessionEventName>(event: E, listener: SessionEventListener<Data, E>): void;
  /**
   * Adds `bound` / `unbound` callbacks for the values of one attribute.
   * @param name - the attribute name
   * @param listener - `{ bound?, unbound? }`
   * @returns a function that removes them
   * @throws TypeError when the name is reserved (starts with `@`) or the listener has neither callback
   * @example
   * sessions.onBinding('upload', { unbound: ({ value }) => uploads.discard(value.id) });
   */
  onBinding<K extends keyof Data & string>(name: K, listener: BindingListener<Data, K>): () => void;
}

/** Every session event name, in the order of {@link SessionEventMap}. */
export const SESSION_EVENT_NAMES: readonly SessionEventName[] = Object.freeze([
  'created',
  'saved',
  'refreshed',
  'regenerated',
  'destroyed',
  'expired',
  'invalid',
  'attributeAdded',
  'attributeReplaced',
  'attributeRemoved',
] as const);

const EVENT_NAMES: ReadonlySet<string> = new Set(SESSION_EVENT_NAMES);

/** The reader's details of an expired cookie, by the timeout they name (see `expiry` in reader.ts). */
const EXPIRED_TIMEOUTS: ReadonlyMap<string, ExpiredTimeout> = new Map([
  ['session idling timeout exceeded', 'idling'],
  ['session rolling timeout exceeded', 'rolling'],
  ['session remember rolling timeout exceeded', 'rolling'],
  ['session absolute timeout exceeded', 'absolute'],
  ['session remember absolute timeout exceeded', 'absolute'],
  ['session lifetime exceeded', 'absolute'],
]);

type Listener = (event: never) => unknown;
/** Any manager's session: what the emitter's internal methods take (the payloads are typed by `on`). */
// biome-ignore lint: a session of any data type
type SomeSession = Session<any>;
type Logger = ResolvedOptions['logger'];

/**
 * The emitter behind a manager's {@link SessionEvents}; sessions reach it through {@link eventsOf}.
 * @internal
 */
export class SessionEmitter implements SessionEvents {
  /** Copy-on-write lists: an emit iterates a list that adding or removing a listener does not change. */
  readonly #listeners = new Map<string, readonly Listener[]>();
  readonly #bindings = new Map<string, readonly BindingListener[]>();
  readonly #logger: Logger;
  /** Whether a set, remove, clear or setData has anyone to tell (attribute events or binding listeners). */
  attributes = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on<E extends SessionEventName>(event: E, listener: SessionEventListener<AnyData, E>): () => void {
    if (typeof event !== 'string' || !EVENT_NAMES.has(event)) throw new TypeError(`session event expected one of ${[...EVENT_NAMES].join(', ')}, got ${JSON.stringify(event)}`);
    if (typeof listener !== 'function') throw new TypeError(`"${event}" listener expected a function, got ${typeof listener}`);
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener as Listener]);
    this.#update();
    return () => this.off(event, listener);
  }

  off<E extends SessionEventName>(event: E, listener: SessionEventListener<AnyData, E>): void {
    this.#listeners.set(event, without(this.#listeners.get(event), listener as Listener));
    this.#update();
  }

  onBinding(name: string, listener: BindingListener): () => void {
    if (typeof name !== 'string' || name === '' || name.startsWith('@')) throw new TypeError('onBinding: the attribute name expected a non-empty string not starting with "@"');
    if (typeof listener?.bound !== 'function' && typeof listener?.unbound !== 'function') {
      throw new TypeError(`onBinding("${name}"): the listener expected a bound or an unbound function`);
    }
    this.#bindings.set(name, [...(this.#bindings.get(name) ?? []), listener]);
    this.#update();
    return () => {
      this.#bindings.set(name, without(this.#bindings.get(name), listener));
      this.#update();
    };
  }

  /** Whether `event` has a listener (check before building its payload). */
  has(event: SessionEventName): boolean {
    return (this.#listeners.get(event)?.length ?? 0) > 0;
  }

  /** Calls the listeners of `event`; a listener that throws or rejects is logged, never rethrown. */
  emit<E extends SessionEventName>(event: E, payload: SessionEventMap[E]): void {
    const list = this.#listeners.get(event);
    if (list === undefined) return;
    for (const listener of list) this.#call(`a "${event}" listener`, () => (listener as (e: SessionEventMap[E]) => unknown)(payload));
  }

  /**
   * Reports one attribute change: `attributeAdded`, `Replaced` or `Removed`, and the binding callbacks of
   * the attribute (`unbound` for the old value, then `bound` for the new one).
   * @param session - the session it happened in
   * @param name - the attribute
   * @param oldValue - the value before, `undefined` when it was not set
   * @param value - the value after, `undefined` when it was removed
   */
  changed(session: SomeSession, name: string, oldValue: unknown, value: unknown): void {
    if (oldValue === undefined && value === undefined) return;
    if (oldValue === undefined) this.emit('attributeAdded', { session, name, value: value as JsonValue });
    else if (value === undefined) this.emit('attributeRemoved', { session, name, oldValue: oldValue as JsonValue });
    else this.emit('attributeReplaced', { session, name, oldValue: oldValue as JsonValue, value: value as JsonValue });
    const bindings = this.#bindings.get(name);
    if (bindings === undefined) return;
    if (oldValue !== undefined) this.#unbind(bindings, session, name, oldValue, value === undefined ? 'removed' : 'replaced');
    if (value !== undefined) {
      for (const b of bindings) if (b.bound !== undefined) this.#call(`the bound listener of "${name}"`, () => b.bound!({ session, name, value }));
    }
  }

  /**
   * Reports every attribute that a `clear()` or `setData()` changed, from the attributes before and after.
   * @param session - the session
   * @param before - a shallow copy of the attributes before the change
   * @param after - the attributes after it
   */
  replaced(session: SomeSession, before: Record<string, unknown>, after: Record<string, unknown>): void {
    for (const name of Object.keys(before)) if (!Object.hasOwn(after, name)) this.changed(session, name, before[name], undefined);
    for (const name of Object.keys(after)) this.changed(session, name, Object.hasOwn(before, name) ? before[name] : undefined, after[name]);
  }

  /**
   * Reports a successful save: `created` (when the client held no cookie of it), `saved`, and
   * `regenerated` when the old id was ended.
   * @param session - the session, just saved
   * @param before - the id it had before the save, `undefined` when the client held no cookie of it
   * @param regenerated - whether the save ended the old id (`regenerate()`, or a changed subject)
   */
  saved(session: SomeSession, before: Uint8Array | undefined, regenerated: boolean): void {
    if (before === undefined) this.emit('created', { session });
    this.emit('saved', { session });
    if (regenerated && before !== undefined && this.has('regenerated')) {
      this.emit('regenerated', { session, oldId: base64urlEncode(before), newId: session.id });
    }
  }

  /**
   * Reports a refresh that did something.
   * @param session - the session
   * @param action - a touch, or a save
   */
  refreshed(session: SomeSession, action: 'touched' | 'saved'): void {
    this.emit('refreshed', { session, action });
  }

  /**
   * Reports the end of a session: `unbound` (reason `'destroyed'`) for each bound attribute, then `destroyed`.
   * @param session - the session, already closed
   * @param data - its attributes (the reserved `@` ones are skipped)
   * @param payload - what `destroyed` carries besides the session; `undefined` when it has no listener
   */
  ended(session: SomeSession, data: Record<string, unknown>, payload: Omit<SessionEventMap['destroyed'], 'session'> | undefined): void {
    if (this.#bindings.size > 0) {
      for (const name of Object.keys(data)) {
        const bindings = this.#bindings.get(name);
        if (bindings !== undefined && !name.startsWith('@')) this.#unbind(bindings, session, name, data[name], 'destroyed');
      }
    }
    if (payload !== undefined) this.emit('destroyed', { session, ...payload });
  }

  /**
   * Reports a cookie that yielded no session: `invalid`, and `expired` when a timeout had passed.
   * @param event - what `onInvalid` receives
   */
  invalid(event: InvalidCookie): void {
    this.emit('invalid', event);
    if (event.reason !== 'expired' || !this.has('expired')) return;
    const timeout = EXPIRED_TIMEOUTS.get(event.detail);
    // A cookie dated in the future is refused as 'expired' too, but it has not timed out.
    if (timeout !== undefined) this.emit('expired', { cookie: event.cookie, timeout, detail: event.detail });
  }

  #unbind(bindings: readonly BindingListener[], session: SomeSession, name: string, value: unknown, reason: UnbindingEvent['reason']): void {
    for (const b of bindings) if (b.unbound !== undefined) this.#call(`the unbound listener of "${name}"`, () => b.unbound!({ session, name, value, reason }));
  }

  #update(): void {
    for (const [name, list] of this.#bindings) if (list.length === 0) this.#bindings.delete(name);
    this.attributes = this.#bindings.size > 0 || this.has('attributeAdded') || this.has('attributeReplaced') || this.has('attributeRemoved');
  }

  /** Runs a listener; what it throws or rejects with goes to the logger, with no payload in the line. */
  #call(what: string, run: () => unknown): void {
    try {
      const result = run();
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#report(what, err));
      }
    } catch (err) {
      this.#report(what, err);
    }
  }

  #report(what: string, err: unknown): void {
    const kind = err instanceof Error ? err.name : typeof err;
    try {
      this.#logger.warn(`httpsession: ${what} failed (${kind}); the request went on`, err);
    } catch {
      /* a failing logger must not break the request either */
    }
  }
}

function without<T>(list: readonly T[] | undefined, item: T): readonly T[] {
  if (list === undefined) return [];
  const i = list.indexOf(item);
  return i < 0 ? list : [...list.slice(0, i), ...list.slice(i + 1)];
}

/** The emitter of each manager, by its options object (the sessions hold the options, not the manager). */
const emitters = new WeakMap<ResolvedOptions, SessionEmitter>();

/**
 * Creates the emitter of a manager.
 * @param options - the manager's options
 * @returns its emitter
 * @internal
 */
export function createEmitter(options: ResolvedOptions): SessionEmitter {
  const emitter = new SessionEmitter(options.logger);
  emitters.set(options, emitter);
  return emitter;
}

/**
 * The emitter of the manager whose options these are.
 * @param options - a manager's options
 * @returns its emitter, `undefined` for options no manager was created with
 * @internal
 */
export function eventsOf(options: ResolvedOptions): SessionEmitter | undefined {
  return emitters.get(options);
}
