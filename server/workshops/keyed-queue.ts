/**
 * Runs tasks one at a time per key, in the order they arrive; tasks of
 * different keys run side by side. A key with nothing queued takes no
 * memory, so keys may be as many as the members ever seen.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued before it under `key`; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    // A failed task must not stop the ones after it.
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
