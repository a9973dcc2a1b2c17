import { apiRoutes } from '../protocol/api-routes.ts';
import { EXERCISE_RUN_LIMITS, type ExerciseRun } from '../protocol/exercise-runs.ts';
import { type PageToSandbox, parseSandboxMessage, type SandboxMessage, type SandboxOutcome } from './sandbox-messages.ts';

/** How a sandboxed run ended, as the page saw it. */
export type SandboxEnd =
  | SandboxOutcome
  /** The run's `endsAt` came first. */
  | 'timed-out'
  /** The frame never said it was ready. */
  | 'no-sandbox';

/** What {@link runInSandbox} tells as it goes. */
export type SandboxListener = (message: Exclude<SandboxMessage, { kind: 'ready' | 'done' }>) => void;

/** A run in progress: `ended` settles once the frame is gone. */
export interface SandboxRun {
  readonly ended: Promise<SandboxEnd>;
  /** Aborts the code's `signal`, and removes the frame shortly after whether or not the code listened. */
  stop(): void;
}

export interface SandboxOptions {
  /** The learner's code: the body of `async function (run, log, sleep, signal)`. */
  code: string;
  run: ExerciseRun;
  /** Where the hidden frame goes (it does nothing visible). */
  host: HTMLElement;
  onMessage: SandboxListener;
  /** Time a stopped run has to return before its frame is removed. */
  stopGraceMs?: number;
  /** Time the frame has to load. */
  loadTimeoutMs?: number;
}

/**
 * Runs learner code in a hidden `<iframe sandbox="allow-scripts">` that starts
 * a Worker holding it (src/exercises/sandbox-frame.js): the code reaches the
 * companion server only, never this page's DOM, cookies or storage. The run
 * ends when the code's function returns or throws, on {@link SandboxRun.stop},
 * or at the run's `endsAt`; then the frame is removed, which ends the worker
 * even in an endless loop. Only messages from this frame are heard.
 */
export function runInSandbox({ code, run, host, onMessage, stopGraceMs = 500, loadTimeoutMs = 10_000 }: SandboxOptions): SandboxRun {
  const frame = document.createElement('iframe');
  frame.sandbox.add('allow-scripts');
  frame.hidden = true;
  frame.title = 'Exercise sandbox';
  frame.tabIndex = -1;
  frame.setAttribute('aria-hidden', 'true');
  frame.src = apiRoutes.exerciseSandbox.path();

  let finish: (end: SandboxEnd) => void = () => {};
  const ended = new Promise<SandboxEnd>((resolve) => {
    finish = resolve;
  });
  let over = false;
  let started = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const later = (ms: number, action: () => void) => timers.push(setTimeout(action, ms));

  const end = (how: SandboxEnd) => {
    if (over) return;
    over = true;
    window.removeEventListener('message', listen);
    for (const timer of timers) clearTimeout(timer);
    frame.remove();
    finish(how);
  };
  const send = (message: PageToSandbox) => frame.contentWindow?.postMessage(message, '*');
  const stopThenEnd = (how: SandboxEnd) => {
    if (over) return;
    send({ kind: 'stop' });
    later(stopGraceMs, () => end(how));
  };

  function listen(event: MessageEvent) {
    // The frame's origin is opaque ("null"): it is known by its window, not its origin.
    if (event.source !== frame.contentWindow || frame.contentWindow === null) return;
    const message = parseSandboxMessage(event.data);
    if (message === undefined) return;
    if (message.kind === 'ready') {
      if (started) return;
      started = true;
      // `*`: an opaque origin can be named by no other; the window above is the only one that gets it.
      send({ kind: 'start', code, run, maxRequests: EXERCISE_RUN_LIMITS.maxRequests });
      // The server's clock may differ from ours: time the run by its own length, from now.
      later(Math.max(0, run.endsAt - run.startedAt), () => stopThenEnd('timed-out'));
    } else if (message.kind === 'done') {
      end(message.outcome);
    } else {
      onMessage(message);
    }
  }

  window.addEventListener('message', listen);
  later(loadTimeoutMs, () => {
    if (!started) end('no-sandbox');
  });
  host.append(frame);
  return { ended, stop: () => stopThenEnd('stopped') };
}
