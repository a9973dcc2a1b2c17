/**
 * Time and timers, injectable so node:test can drive a widget's model with
 * mock timers. `now()` must also be the clock the widget's client stamps
 * requests with, so the model can compare the two.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Date.now and the global timers, looked up at call time (so node:test's mock.timers applies). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
