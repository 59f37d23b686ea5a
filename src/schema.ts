/**
 * Validating the data a cookie opens to before the application sees it: the `schema` option (any
 * Standard Schema v1 validator: zod, valibot, arktype, ...) and the `schemaVersion` / `migrate` options.
 *
 * The Standard Schema interface is written out here from its specification (standardschema.dev, v1), so
 * that no validator library is a dependency: a validator implements it by carrying a `~standard` property.
 *
 * Only this audience's attributes are validated: the reserved `@` attributes (timeouts, remember choice,
 * flash, version) are the library's own, and other audiences sharing the cookie are not this
 * application's to judge.
 *
 * @module
 */
import type { SessionEntry } from './codec/payload.ts';
import { assertJsonValue } from './json.ts';
import { defineData } from './session/data.ts';

/**
 * A Standard Schema v1 validator (the `~standard` property that zod, valibot, arktype and others carry).
 * @typeParam Input - what it accepts
 * @typeParam Output - what it produces
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaProps<Input, Output>;
}

/** The `~standard` property of a {@link StandardSchemaV1}. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  /** The version of the Standard Schema specification: 1. */
  readonly version: 1;
  /** The library that implements it, e.g. `'zod'`. */
  readonly vendor: string;
  /** Validates a value; may return a promise (asynchronous refinements). */
  readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  /** The input and output types, for inference only (never present at run time). */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** What {@link StandardSchemaProps.validate} returns: the output value, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardSchemaIssue[] };

/** One validation issue. */
export interface StandardSchemaIssue {
  readonly message: string;
  /** Where in the value: keys, or segments carrying a key. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/**
 * Converts session data saved by an older deploy (`version` is the `schemaVersion` it was saved under, 0
 * when it carries none) to the current shape. Returns the new attributes, or `undefined` to drop the
 * session (a new one is started, reason `'schema'`).
 */
export type MigrateData = (data: Record<string, unknown>, version: number) => unknown;

/** Reserved attribute recording the `schemaVersion` a session was saved under. */
export const VERSION_KEY = '@version';

/** The validated `schema`, `schemaVersion` and `migrate` options. @internal */
export interface DataModel {
  readonly schema: StandardSchemaV1 | undefined;
  /** 0: no version is recorded (and `migrate` is never called). */
  readonly version: number;
  readonly migrate: MigrateData | undefined;
}

/** The data model's verdict on one opened session. */
export type ModelResult = { readonly ok: true } | { readonly ok: false; readonly detail: string };

const OK: ModelResult = { ok: true };

/**
 * Validates the `schema`, `schemaVersion` and `migrate` options.
 * @param options - what the user passed
 * @returns the model, or `undefined` when none of the three is set
 * @throws TypeError or RangeError naming the option
 */
export function resolveModel(options: { schema?: unknown; schemaVersion?: unknown; migrate?: unknown }): DataModel | undefined {
  const { schema, schemaVersion, migrate } = options;
  if (schema === undefined && schemaVersion === undefined && migrate === undefined) return undefined;
  if (schema !== undefined) {
    const props = (schema as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
    if (typeof props?.validate !== 'function' || props.version !== 1) {
      throw new TypeError('"schema" expected a Standard Schema v1 validator (a "~standard" property with version 1 and validate)');
    }
  }
  const version = schemaVersion ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 2 ** 31 - 1) {
    throw new RangeError(`"schemaVersion" expected an integer from 0 to ${2 ** 31 - 1}, got ${String(version)}`);
  }
  if (migrate !== undefined && typeof migrate !== 'function') throw new TypeError(`"migrate" expected a function, got ${typeof migrate}`);
  if (migrate !== undefined && version === 0) throw new TypeError('"migrate" needs "schemaVersion": the version sessions are saved under');
  return { schema: schema as StandardSchemaV1 | undefined, version, migrate: migrate as MigrateData | undefined };
}

/**
 * The version a session's data was saved under (0 when it records none).
 * @param data - the attributes of the session's entry
 */
export function storedVersion(data: Record<string, unknown>): number {
  const v = Object.hasOwn(data, VERSION_KEY) ? data[VERSION_KEY] : undefined;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * Runs the data model on the entry of a cookie that opened: `migrate` when the entry was saved under
 * another `schemaVersion`, then `schema`. On success the entry's attributes are replaced by the schema's
 * output (the reserved `@` attributes are kept); on failure the entry is left as it was.
 * @param model - the resolved options
 * @param entry - this audience's entry
 * @returns ok, or the reason (attribute paths only: an issue's message may quote a value); synchronously
 *   unless `migrate` or the schema's `validate` returns a promise
 * @throws what `migrate` throws (the caller reports it), or a promise that rejects with it
 */
export function applyModel(model: DataModel, entry: SessionEntry): ModelResult | Promise<ModelResult> {
  const reserved: Array<[string, unknown]> = [];
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entry.data)) {
    if (name.startsWith('@')) reserved.push([name, value]);
    else defineData(data, name, value);
  }
  const from = storedVersion(entry.data);
  if (model.migrate === undefined || from === model.version) return validated(model, entry, reserved, data);
  // Synchronous unless `migrate` or the validator returns a promise: a session manager then opens a
  // cookie session without a Promise (manager.ts).
  const migrated = model.migrate(data, from);
  const dropped: ModelResult = { ok: false, detail: `migrate dropped session data of version ${from}` };
  if (isThenable(migrated)) return Promise.resolve(migrated).then((d) => (d === undefined || d === null ? dropped : validated(model, entry, reserved, d)));
  return migrated === undefined || migrated === null ? dropped : validated(model, entry, reserved, migrated);
}

/** The schema step of {@link applyModel}, then the entry's attributes replaced. */
function validated(model: DataModel, entry: SessionEntry, reserved: Array<[string, unknown]>, data: unknown): ModelResult | Promise<ModelResult> {
  if (model.schema === undefined) return replaced(entry, reserved, data);
  const pending = model.schema['~standard'].validate(data);
  const check = (result: StandardSchemaResult<unknown>): ModelResult =>
    result.issues !== undefined ? { ok: false, detail: `session data does not match the schema${issuePaths(result.issues)}` } : replaced(entry, reserved, result.value);
  return isThenable(pending) ? Promise.resolve(pending).then(check) : check(pending);
}

function replaced(entry: SessionEntry, reserved: Array<[string, unknown]>, data: unknown): ModelResult {
  const problem = notAttributes(data);
  if (problem !== undefined) return { ok: false, detail: problem };
  const next: Record<string, unknown> = {};
  for (const [name, value] of reserved) defineData(next, name, value);
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) if (value !== undefined) defineData(next, name, value);
  entry.data = next;
  return OK;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Stamps a session's data with the configured `schemaVersion` (when one is set).
 * @param model - the resolved options, if any
 * @param data - the attributes of the session's entry
 * @returns whether an opened session's stamp changed (so that its next commit saves it)
 */
export function stampVersion(model: DataModel | undefined, data: Record<string, unknown>): boolean {
  if (model === undefined || model.version === 0 || storedVersion(data) === model.version) return false;
  defineData(data, VERSION_KEY, model.version);
  return true;
}

/** Why a schema's (or migrate's) output cannot be a session's attributes, or `undefined` when it can. */
function notAttributes(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'session data is not an object after validation';
  for (const [name, value] of Object.entries(data)) {
    if (name === '' || name.startsWith('@')) return 'session data has a reserved attribute name after validation';
    try {
      if (value !== undefined) assertJsonValue(name, value);
    } catch {
      return `session attribute "${name}" does not survive JSON after validation`;
    }
  }
  return undefined;
}

/** ` at a, b.c` for up to three issues: the paths name attributes, never values. */
function issuePaths(issues: readonly StandardSchemaIssue[]): string {
  const paths = issues
    .slice(0, 3)
    .map((issue) => (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.'))
    .filter((p) => p !== '');
  return paths.length === 0 ? '' : ` at ${paths.join(', ')}${issues.length > 3 ? ', ...' : ''}`;
}
