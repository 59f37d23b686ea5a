/**
 * Whether a session holds changes its next save would persist (`Session.isModified`), so that `commit()`
 * saves only what changed and merely touches the rest.
 *
 * Two sources of change are tracked:
 *
 * - the session's own mutators (`set`, `remove`, `setSubject`, ...) call {@link ChangeTracker.mark}: a
 *   counter, so a mutation made while an asynchronous save is in flight is not lost when that save ends;
 * - `get()` and iteration hand out the stored values themselves, and an application may change an object
 *   in place (`session.get('cart').push(item)`). The first time a non-primitive value is handed out, the
 *   attributes' JSON text is taken as a snapshot; the session is then also modified when its JSON text
 *   differs from that snapshot. Sessions that only read primitives never pay for the snapshot.
 *
 * A `set` of a value equal to the stored one still counts as a change (no deep comparison is made).
 *
 * @module
 */

/** The change state of one session. */
export class ChangeTracker {
  /** Incremented by every mutation. */
  #version = 0;
  /** The version the last successful save (or the open) persisted. */
  #savedVersion = 0;
  /** JSON text of the attributes as persisted, taken once a live object has been handed out. */
  #snapshot: string | undefined;
  /** Whether a live object was handed out since the session was opened. */
  #handedOut = false;

  /** Records a change made by a session mutator. */
  mark(): void {
    this.#version++;
  }

  /**
   * Called before a stored value is handed to the application: a non-primitive one may be changed in
   * place, so the attributes are snapshotted (once) to detect that.
   * @param data - the attributes the value belongs to
   * @param value - the value handed out
   */
  handOut(data: Record<string, unknown>, value: unknown): void {
    if (typeof value !== 'object' || value === null || this.#handedOut) return;
    this.#handedOut = true;
    // Unmarked means the attributes are still what was persisted: that is the snapshot to compare with.
    if (this.#version === this.#savedVersion) this.#snapshot = JSON.stringify(data);
  }

  /**
   * Whether anything the next save would persist changed.
   * @param data - the attributes (compared with the snapshot when one was taken)
   */
  isModified(data: Record<string, unknown>): boolean {
    if (this.#version !== this.#savedVersion) return true;
    return this.#snapshot !== undefined && JSON.stringify(data) !== this.#snapshot;
  }

  /** The current version, read when a save seals the session. */
  get version(): number {
    return this.#version;
  }

  /**
   * Records a successful save of what was sealed at `version`: later mutations stay modified.
   * @param version - {@link version} when the save sealed the session
   * @param data - the attributes, snapshotted again when live objects are out
   */
  saved(version: number, data: Record<string, unknown>): void {
    this.#savedVersion = version;
    this.#snapshot = this.#handedOut ? JSON.stringify(data) : undefined;
  }
}
