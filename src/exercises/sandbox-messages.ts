import type { ExerciseRun } from '../protocol/exercise-runs.ts';

/**
 * The messages between the page and the exercise sandbox's frame
 * (src/exercises/sandbox-frame.js). The frame relays what the learner's
 * worker says; since the learner's code could post anything, the page checks
 * every message's shape here before acting on it.
 */

/** Page → frame: run this code against this run; or stop (the code's `signal` aborts). */
export type PageToSandbox = { kind: 'start'; code: string; run: ExerciseRun; maxRequests: number } | { kind: 'stop' };

/** How the learner's function ended. */
export type SandboxOutcome = 'returned' | 'threw' | 'stopped';

/** Frame → page. */
export type SandboxMessage =
  /** The frame is loaded and waits for `start`. */
  | { kind: 'ready' }
  /** One `log(...)` call, already turned into text. */
  | { kind: 'log'; text: string }
  /** Requests the learner's code has sent so far. */
  | { kind: 'requests'; count: number }
  /** An uncaught error; `line` counts from the learner's first line. */
  | { kind: 'error'; message: string; line?: number; column?: number }
  | { kind: 'done'; outcome: SandboxOutcome };

/** The longest text the page keeps of one message (the frame caps at the same length). */
export const MAX_SANDBOX_TEXT = 2000;

const OUTCOMES: readonly string[] = ['returned', 'threw', 'stopped'] satisfies SandboxOutcome[];

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const optionalLine = (value: unknown): number | undefined =>
  Number.isSafeInteger(value) && (value as number) >= 1 ? (value as number) : undefined;

/** The message `data` is, or undefined for anything else (ignored). */
export function parseSandboxMessage(data: unknown): SandboxMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const message = data as Record<string, unknown>;
  switch (message.kind) {
    case 'ready':
      return { kind: 'ready' };
    case 'log':
      return typeof message.text === 'string' ? { kind: 'log', text: message.text.slice(0, MAX_SANDBOX_TEXT) } : undefined;
    case 'requests':
      return isCount(message.count) ? { kind: 'requests', count: message.count } : undefined;
    case 'error': {
      if (typeof message.message !== 'string') return undefined;
      const line = optionalLine(message.line);
      const column = optionalLine(message.column);
      return {
        kind: 'error',
        message: message.message.slice(0, MAX_SANDBOX_TEXT),
        ...(line === undefined ? {} : { line }),
        ...(line === undefined || column === undefined ? {} : { column }),
      };
    }
    case 'done':
      return typeof message.outcome === 'string' && OUTCOMES.includes(message.outcome)
        ? { kind: 'done', outcome: message.outcome as SandboxOutcome }
        : undefined;
    default:
      return undefined;
  }
}

/** "TypeError: x is not a function (line 4)": an error as the output panel shows it. */
export function describeSandboxError(error: Extract<SandboxMessage, { kind: 'error' }>): string {
  if (error.line === undefined) return error.message;
  return `${error.message} (line ${error.line}${error.column === undefined ? '' : `, column ${error.column}`})`;
}
