/**
 * Runs tasks one at a time, in the order they arrive. A workshop's writes go
 * through one, so a check and the store write it allows (is the name free?
 * is this learner already a member?) cannot interleave with another
 * request's while the store is awaited.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it; resolves or rejects as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not stop the ones after it.
    this.#tail = result.catch(() => {});
    return result;
  }
}
