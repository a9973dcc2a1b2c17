import type { RouteContext, RouteHandler } from '../http/router.ts';

/** Takes the requests of one watched resource: it may answer them itself, or pass them on to `answer`. */
export type RequestWatcher = (context: RouteContext, answer: RouteHandler) => Promise<void>;

/**
 * Lets an exercise run see the requests made on its own resources: an
 * endpoint wrapped by {@link route} hands the requests whose path parameter
 * `param` (a job `id`, a `channel`) is watched to the watcher, and every
 * other request straight to the endpoint.
 */
export class RequestGate {
  readonly #param: string;
  readonly #watchers = new Map<string, RequestWatcher>();

  constructor(param: string) {
    this.#param = param;
  }

  /** Hands the requests for `value` to `watcher` until the returned function is called. */
  watch(value: string, watcher: RequestWatcher): () => void {
    this.#watchers.set(value, watcher);
    return () => {
      if (this.#watchers.get(value) === watcher) this.#watchers.delete(value);
    };
  }

  /** `answer` (an endpoint) with the watched requests shown to their watcher first. */
  route(answer: RouteHandler): RouteHandler {
    return (context) => {
      const watcher = this.#watchers.get(context.params[this.#param] ?? '');
      return watcher ? watcher(context, answer) : answer(context);
    };
  }
}
