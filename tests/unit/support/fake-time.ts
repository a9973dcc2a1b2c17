import { mock } from 'node:test';

/**
 * Time for unit tests on node:test's mocked timers (`mock.timers.enable({ apis:
 * ['setTimeout', 'Date'] })`). Mocked timers run no promise callbacks, and
 * `mock.timers.tick(n)` fires only the timers due by the end of the tick, not
 * those a callback sets on the way; so time moves in small steps, with the
 * promise callbacks let run after each. `setImmediate` stays real: the tests
 * never mock it.
 */

/** Lets pending promise callbacks run (a fake fetch's answer, a stream's read): a few turns of the event loop. */
export async function settle(turns = 3): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** How {@link advance} moves time. */
export interface Steps {
  /** ms per step; default 5. */
  stepMs?: number;
  /** Turns of the event loop let run after each step; default 3. */
  settleTurns?: number;
}

/**
 * Moves mocked time forward by `ms`, `stepMs` at a time, settling
 * `settleTurns` turns after each step. A step must be no longer than the
 * shortest delay the code under test chains after another (a timer that a
 * timer's callback sets). Code that awaits nothing between its timers needs
 * no settling (`settleTurns` 0): time then moves at once.
 */
export async function advance(ms: number, { stepMs = 5, settleTurns = 3 }: Steps = {}): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    mock.timers.tick(Math.min(stepMs, ms - done));
    if (settleTurns > 0) await settle(settleTurns);
  }
}
