import type { RouteContext, RouteHandler } from '../http/router.ts';

/** Takes the polls of one job: it may answer them itself, or pass them on to `answer`. */
export type JobPollWatcher = (context: RouteContext, answer: RouteHandler) => Promise<void>;

/**
 * Lets an exercise run see the polls of its own job: `GET /api/jobs/{id}`
 * goes through {@link route}, which hands a watched job's polls to its
 * watcher and every other poll straight to the endpoint.
 */
export class JobPollGate {
  readonly #watchers = new Map<string, JobPollWatcher>();

  /** Hands the polls of job `id` to `watcher` until the returned function is called. */
  watch(id: string, watcher: JobPollWatcher): () => void {
    this.#watchers.set(id, watcher);
    return () => {
      if (this.#watchers.get(id) === watcher) this.#watchers.delete(id);
    };
  }

  /** `answer` (the job endpoint) with watched jobs' polls shown to their watcher first. */
  route(answer: RouteHandler): RouteHandler {
    return (context) => {
      const watcher = this.#watchers.get(context.params.id ?? '');
      return watcher ? watcher(context, answer) : answer(context);
    };
  }
}
