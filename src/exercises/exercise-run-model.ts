import { batch, type ReadonlySignal, signal } from '@preact/signals';
import type { ExerciseRun, ExerciseVerdict } from '../protocol/exercise-runs.ts';
import { errorMessage } from '../widgets/shared/http.ts';
import { describeSandboxError } from './sandbox-messages.ts';
import type { SandboxEnd, SandboxListener, SandboxRun } from './sandbox-runner.ts';
import { verdictSummary } from './verdict-summary.ts';

/**
 * A coded exercise's runs, with no DOM and no JSX, so node:test can drive it
 * with a fake server and sandbox: the server starts a run (its own channel
 * and URLs), the sandbox runs the learner's code against it, the checks are
 * read while it goes, and the server's verdict comes when it ends.
 */

export type RunPhase = 'idle' | 'starting' | 'running' | 'finishing';

export interface OutputLine {
  kind: 'log' | 'error' | 'info';
  text: string;
}

/** What a run needs from outside the model. */
export interface ExerciseRunDeps {
  /** `POST …/runs`: a run of the server's (src/exercises/run-client.ts). */
  start(): Promise<ExerciseRun>;
  /** The run's checks as they stand. */
  read(id: string): Promise<ExerciseVerdict>;
  /** Tells the server the code is done, and gets its verdict. */
  finish(id: string): Promise<ExerciseVerdict>;
  /** Runs `code` against `run` (src/exercises/sandbox-runner.ts). */
  sandbox(code: string, run: ExerciseRun, onMessage: SandboxListener): SandboxRun;
  /** The server passed the run. */
  onPassed(): void;
  /** Calls `flush` before the next paint (default `requestAnimationFrame`). */
  nextFrame?: (flush: () => void) => void;
  /** How often the checks are read while the code runs (default 1 s). */
  liveChecksMs?: number;
}

export interface ExerciseRunModel {
  readonly phase: ReadonlySignal<RunPhase>;
  /** The code's `log` lines and errors, and how the run ended: the last {@link MAX_OUTPUT_LINES}. */
  readonly output: ReadonlySignal<readonly OutputLine[]>;
  /** Requests the code sent, as the sandbox counted them. */
  readonly requests: ReadonlySignal<number>;
  /** The server's checks: live while the code runs, then its verdict. */
  readonly verdict: ReadonlySignal<ExerciseVerdict | null>;
  /** One sentence for the live region. */
  readonly status: ReadonlySignal<string>;
  /** Runs `code`; resolves once the verdict is in (or could not be had). */
  run(code: string): Promise<void>;
  /** Stops the code of the run in progress, if any: its verdict still comes. */
  stop(): void;
  /** Says `text` in the status line (what the view did: "the starter code is back"). */
  say(text: string): void;
}

/** Lines the output keeps: a chatty loop cannot grow the page without end. */
export const MAX_OUTPUT_LINES = 200;

const END_TEXT: Record<SandboxEnd, string> = {
  returned: 'Your code returned.',
  threw: 'Your code threw an error.',
  stopped: 'Stopped.',
  'timed-out': 'The run’s time is up: it was stopped.',
  'no-sandbox': 'The sandbox did not start (was the frame blocked?).',
};

export function createExerciseRunModel(deps: ExerciseRunDeps): ExerciseRunModel {
  const nextFrame = deps.nextFrame ?? ((flush: () => void) => requestAnimationFrame(flush));
  const phase = signal<RunPhase>('idle');
  const output = signal<readonly OutputLine[]>([]);
  const requests = signal(0);
  const verdict = signal<ExerciseVerdict | null>(null);
  const status = signal('');
  let stopCode: (() => void) | undefined;

  // Lines arrive as fast as the learner's code logs: they reach the page once a frame, not one render each.
  let unprinted: OutputLine[] = [];
  const print = (line: OutputLine) => {
    unprinted.push(line);
    if (unprinted.length > 1) return;
    nextFrame(() => {
      const lines = unprinted;
      unprinted = [];
      output.value = [...output.value, ...lines].slice(-MAX_OUTPUT_LINES);
    });
  };

  const onMessage: SandboxListener = (message) => {
    if (message.kind === 'log') print({ kind: 'log', text: message.text });
    else if (message.kind === 'error') print({ kind: 'error', text: describeSandboxError(message) });
    else requests.value = message.count;
  };

  /** The checks as the server sees them, every `liveChecksMs` while the code runs; returns how to stop reading. */
  const readWhileRunning = (id: string): (() => void) => {
    let reading = false;
    let over = false;
    const timer = setInterval(async () => {
      if (reading) return;
      reading = true;
      try {
        const current = await deps.read(id);
        if (!over) verdict.value = current;
      } catch {
        // A missed reading is fine: the verdict comes with the finish.
      } finally {
        reading = false;
      }
    }, deps.liveChecksMs ?? 1_000);
    return () => {
      over = true;
      clearInterval(timer);
    };
  };

  const run = async (code: string) => {
    if (phase.value !== 'idle') return;
    unprinted = [];
    batch(() => {
      output.value = [];
      verdict.value = null;
      requests.value = 0;
      phase.value = 'starting';
      status.value = 'Starting a run on the server…';
    });
    let started: ExerciseRun;
    try {
      started = await deps.start();
    } catch (error) {
      batch(() => {
        phase.value = 'idle';
        status.value = `Could not start a run: ${errorMessage(error)}`;
      });
      return;
    }
    batch(() => {
      phase.value = 'running';
      status.value = 'Running your code…';
    });
    const sandbox = deps.sandbox(code, started, onMessage);
    stopCode = sandbox.stop;
    const stopReading = readWhileRunning(started.id);
    const end = await sandbox.ended;
    stopReading();
    stopCode = undefined;
    print({ kind: 'info', text: END_TEXT[end] });
    batch(() => {
      phase.value = 'finishing';
      status.value = 'Asking the server for its verdict…';
    });
    try {
      const final = await deps.finish(started.id);
      batch(() => {
        verdict.value = final;
        status.value = verdictSummary(final);
      });
      if (final.state === 'passed') deps.onPassed();
    } catch (error) {
      status.value = `Could not get the verdict: ${errorMessage(error)}`;
    }
    phase.value = 'idle';
  };

  return {
    phase,
    output,
    requests,
    verdict,
    status,
    run,
    stop: () => stopCode?.(),
    say: (text) => {
      status.value = text;
    },
  };
}
