/**
 * The shared backplane (Redis) cannot be reached: a publish, a read or a
 * command could not be done. The app answers it with `503
 * backend-unavailable` and `Retry-After`; a WebSocket with an `error`
 * message of that code. Nothing was half done: the caller may retry.
 */
export class BackplaneUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackplaneUnavailableError';
  }
}
