import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `condition` every few milliseconds until it holds. A bounded wait, not
 * a timing assertion: past `timeoutMs` it fails with `message`, so a hang fails
 * fast instead of stalling the run.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  message: string | (() => string),
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Gave up after ${timeoutMs} ms waiting until ${typeof message === 'string' ? message : message()}`);
    }
    await delay(5);
  }
}
