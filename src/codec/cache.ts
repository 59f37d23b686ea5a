/**
 * A small bounded least-recently-used cache: the building block of the opened-cookie cache (reader.ts).
 *
 * Why it is shaped this way:
 * - Bounded twice: by a number of entries and by a total weight (the caller's measure, e.g. characters),
 *   so that neither many small entries nor a few huge ones can grow the process without limit. An entry
 *   heavier than an eighth of the weight budget is not stored at all.
 * - Keys are exact strings: a hit means the very same bytes were seen before, never "something similar".
 * - A `Map` keeps insertion order, so the least recently used entry is the first one; a hit re-inserts its
 *   entry at the newest end. Every operation is O(1).
 * - Values are stored as given. Callers keep them immutable (frozen objects, strings) or copy them out, so
 *   that a hit can never hand one request data another request could change.
 *
 * @module
 */

/** Limits of a {@link BoundedCache}. */
export interface BoundedCacheOptions<V> {
  /** The most entries held at once (a positive integer). */
  readonly maxEntries: number;
  /** The most total weight held at once; default `Infinity`. */
  readonly maxWeight?: number;
  /** An entry's weight (a pure function of key and value); default 0 for every entry. */
  readonly weigh?: (key: string, value: V) => number;
}

/**
 * A bounded LRU map from exact string keys to values.
 * @typeParam V - the value type
 * @example
 * const cache = new BoundedCache<string>({ maxEntries: 2 });
 * cache.set('a', 'A'); cache.set('b', 'B'); cache.get('a'); cache.set('c', 'C');
 * cache.get('b'); // undefined: the least recently used entry was evicted
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #maxWeight: number;
  readonly #weigh: ((key: string, value: V) => number) | undefined;
  #weight = 0;

  /**
   * @param options - `maxEntries`, and `maxWeight` with `weigh` to bound the total weight too
   * @throws RangeError when `maxEntries` is not a positive integer or `maxWeight` is not positive
   */
  constructor(options: BoundedCacheOptions<V>) {
    const { maxEntries, maxWeight = Number.POSITIVE_INFINITY, weigh } = options;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`"maxEntries" expected a positive integer, got ${maxEntries}`);
    if (typeof maxWeight !== 'number' || !(maxWeight > 0)) throw new RangeError(`"maxWeight" expected a positive number, got ${maxWeight}`);
    this.#maxEntries = maxEntries;
    this.#maxWeight = maxWeight;
    this.#weigh = weigh;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Total weight currently held. */
  get weight(): number {
    return this.#weight;
  }

  /**
   * Looks a key up and marks it most recently used.
   * @param key - the exact key
   * @returns the value, or `undefined` when absent
   */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /**
   * Stores a value as the most recently used, evicting the least recently used entries beyond the limits.
   * @param key - the exact key
   * @param value - the value, not `undefined` (kept as is: make it immutable or copy it on the way out)
   * @returns whether it was stored (`false` when heavier than an eighth of `maxWeight`)
   */
  set(key: string, value: V): boolean {
    this.delete(key);
    const weight = this.#weigh === undefined ? 0 : this.#weigh(key, value);
    if (weight > this.#maxWeight / 8) return false;
    this.#entries.set(key, value);
    this.#weight += weight;
    while (this.#entries.size > this.#maxEntries || this.#weight > this.#maxWeight) {
      this.delete(this.#entries.keys().next().value as string);
    }
    return true;
  }

  /**
   * Removes a key.
   * @returns whether it was present
   */
  delete(key: string): boolean {
    const value = this.#entries.get(key);
    if (value === undefined) return false;
    this.#entries.delete(key);
    if (this.#weigh !== undefined) this.#weight -= this.#weigh(key, value);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }
}
