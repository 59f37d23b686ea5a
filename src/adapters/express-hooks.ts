/**
 * How the Express adapter attaches a session to `req` and its commit to `res`, without adding
 * properties to them.
 *
 * Express re-parents every request and response onto its app's prototypes (`Object.setPrototypeOf(req,
 * app.request)`). V8 makes adding an own property to such an object expensive: measured on Node 20, about
 * 12 µs per property, against 0.3 µs on a plain `ServerResponse`; an adapter adding `req.session`,
 * `res.end` and `res.writeHead` per request would pay that three times. So, for a re-parented object, the
 * session and the commit are kept in WeakMaps, and the `session` accessor and the `end` / `writeHead`
 * wrappers are defined once on Express's own request and response objects (the prototypes just above
 * node's, shared by every app and sub-app of that copy of Express). The wrappers look their request up
 * and pass straight through for any response without a pending commit. Plain node objects (Connect, a raw
 * `http` server) get own properties as usual.
 *
 * Internal: not exported from any package entry point.
 *
 * @module
 */
import { IncomingMessage, ServerResponse } from 'node:http';

/** A method of the response (`end`, `writeHead`), called with `apply`. */
export type Method = (this: object, ...args: unknown[]) => unknown;

/** What a response's `end` and `writeHead` wrappers hand over to. */
export interface ResponseHook {
  /** `res.end(...args)`: call `end.apply(res, args)` now or later, or not at all. */
  end(res: ServerResponse, end: Method, args: unknown[]): unknown;
  /** `res.writeHead(...)` is about to send the headers. */
  beforeHeaders(): void;
}

const sessions = new WeakMap<object, unknown>();
const hooks = new WeakMap<object, ResponseHook>();
/** Express's request or response object -> whether the accessor / wrappers could be defined on it. */
const shared = new WeakMap<object, boolean>();

/**
 * The object of `value`'s prototype chain just above `base` (Express's own request or response), when
 * `value` was re-parented; `undefined` for a plain node object or an unknown chain.
 */
function reparentedPrototype(value: object, base: object): object | undefined {
  let proto = Object.getPrototypeOf(value) as object | null;
  if (proto === base) return undefined;
  while (proto !== null) {
    const parent = Object.getPrototypeOf(proto) as object | null;
    if (parent === base) return proto;
    proto = parent;
  }
  return undefined;
}

/** Defines the `session` accessor on a shared request prototype, once; false when it cannot. */
function shareSession(proto: object): boolean {
  let ok = shared.get(proto);
  if (ok === undefined) {
    ok = !('session' in proto);
    if (ok) {
      Object.defineProperty(proto, 'session', {
        configurable: true,
        enumerable: false,
        get(this: object) {
          return sessions.get(this);
        },
        set(this: object, value: unknown) {
          sessions.set(this, value);
        },
      });
    }
    shared.set(proto, ok);
  }
  return ok;
}

/**
 * Wrappers of `end` and `writeHead` that find the response's hook; `end()` and `writeHead()` give the
 * method to call (two getters rather than one keyed lookup: each property read then stays monomorphic).
 */
function wrappers(end: () => Method, writeHead: () => Method): { end: Method; writeHead: Method } {
  return {
    end(...args) {
      const method = end();
      const hook = hooks.get(this);
      return hook === undefined ? method.apply(this, args) : hook.end(this as ServerResponse, method, args);
    },
    writeHead(...args) {
      hooks.get(this)?.beforeHeaders();
      return writeHead().apply(this, args);
    },
  };
}

/** Defines the wrappers on a shared response prototype, once; false when it cannot. */
function shareHooks(proto: object): boolean {
  let ok = shared.get(proto);
  if (ok === undefined) {
    ok = !Object.hasOwn(proto, 'end') && !Object.hasOwn(proto, 'writeHead');
    if (ok) {
      const parent = Object.getPrototypeOf(proto) as Record<'end' | 'writeHead', Method>;
      // Looked up on every call: a tool that wraps node's methods later (an APM agent) stays in the path.
      Object.assign(proto, wrappers(() => parent.end, () => parent.writeHead));
    }
    shared.set(proto, ok);
  }
  return ok;
}

/**
 * Sets `req.session`.
 * @param req - the request
 * @param session - the session
 */
export function attachSession(req: IncomingMessage, session: unknown): void {
  const proto = reparentedPrototype(req, IncomingMessage.prototype);
  if (proto !== undefined && shareSession(proto)) sessions.set(req, session);
  else (req as { session?: unknown }).session = session;
}

/**
 * Routes `res.end` and `res.writeHead` through `hook` for this response.
 * @param res - the response
 * @param hook - what to do at the end and before the headers
 */
export function hookResponse(res: ServerResponse, hook: ResponseHook): void {
  const proto = reparentedPrototype(res, ServerResponse.prototype);
  if (proto === undefined || !shareHooks(proto)) {
    const own = { end: res.end as Method, writeHead: res.writeHead as Method };
    Object.assign(res, wrappers(() => own.end, () => own.writeHead));
  }
  hooks.set(res, hook);
}
