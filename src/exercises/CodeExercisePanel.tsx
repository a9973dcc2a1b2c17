import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExerciseVerdict } from '../protocol/exercise-runs.ts';
import { ExerciseCheckItem } from '../widgets/shared/ExerciseCheckItem.tsx';
import { errorMessage } from '../widgets/shared/http.ts';
import { type CodeEditor, createCodeEditor } from './code-editor.ts';
import { type ExerciseContent, loadExerciseContent } from './exercise-content.ts';
import { hintButtonLabel, nextHintCount, visibleHints } from './hint-ladder.ts';
import { type DiffLine, diffLines, diffSummary } from './line-diff.ts';
import { finishExerciseRun, readExerciseRun, startExerciseRun } from './run-client.ts';
import { markExerciseDone } from '../progress/local-progress.ts';
import { startServerSync } from '../progress/server-sync.ts';
import { CodeSync } from './code-sync.ts';
import { loadSavedExercise, pageStorage, type SavedExercise, saveExercise } from './saved-code.ts';
import { describeSandboxError } from './sandbox-messages.ts';
import { runInSandbox, type SandboxEnd } from './sandbox-runner.ts';
import { verdictSummary } from './verdict-summary.ts';
import './code-exercise.css';

export interface CodeExercisePanelProps {
  /** The lesson's slug, e.g. `short-polling`. */
  lesson: string;
  /** The exercise's id in the lesson, e.g. `etag-poller` (`content/exercises/<lesson>/<exercise>/`). */
  exercise: string;
}

interface OutputLine {
  kind: 'log' | 'error' | 'info';
  text: string;
}

/** Lines the output panel keeps: a chatty loop cannot grow the page without end. */
const MAX_OUTPUT_LINES = 200;
/** How often the checks are read while the code runs. */
const LIVE_CHECKS_MS = 1000;

const END_TEXT: Record<SandboxEnd, string> = {
  returned: 'Your code returned.',
  threw: 'Your code threw an error.',
  stopped: 'Stopped.',
  'timed-out': 'The run’s time is up: it was stopped.',
  'no-sandbox': 'The sandbox did not start (was the frame blocked?).',
};

const CHECK_STATE = { passed: 'met', failed: 'missed', pending: 'pending' } as const;

/**
 * The open coded exercise: the editor holding the learner's code (kept in
 * this browser), Run and Stop, the output of their `log` calls and errors,
 * the server's checks, hints one at a time, and the solution as a diff.
 * A run: the server starts one (its own channel and URLs), the sandbox runs
 * the code against it, and the server judges what it saw.
 */
export function CodeExercisePanel({ lesson, exercise }: CodeExercisePanelProps) {
  const editorHost = useRef<HTMLDivElement>(null);
  const sandboxHost = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | null>(null);
  const stopRun = useRef<(() => void) | null>(null);
  const runButton = useRef<HTMLButtonElement>(null);
  const stopButton = useRef<HTMLButtonElement>(null);
  const [content, setContent] = useState<ExerciseContent | null>(null);
  const [loadFailure, setLoadFailure] = useState<string | null>(null);
  const [hintsShown, setHintsShown] = useState(0);
  const [phase, setPhase] = useState<'idle' | 'starting' | 'running' | 'finishing'>('idle');
  const [output, setOutput] = useState<OutputLine[]>([]);
  const [requests, setRequests] = useState(0);
  const [verdict, setVerdict] = useState<ExerciseVerdict | null>(null);
  const [status, setStatus] = useState('');
  const [diff, setDiff] = useState<DiffLine[] | null>(null);
  const saved = useRef<SavedExercise>({ code: '', hintsShown: 0 });
  const sync = useRef(new CodeSync(lesson, exercise));

  const keep = (change: Partial<SavedExercise>) => {
    saved.current = { ...saved.current, ...change };
    saveExercise(pageStorage(), lesson, exercise, saved.current);
  };
  /** The learner changed the code: kept here at once, on the server once the typing pauses. */
  const edited = (code: string) => {
    const savedAt = Date.now();
    keep({ code, savedAt });
    sync.current.push(code, savedAt);
  };

  useEffect(() => {
    let live = true;
    loadExerciseContent(lesson, exercise).then(
      (loaded) => {
        if (!live || !editorHost.current) return;
        const stored = loadSavedExercise(pageStorage(), lesson, exercise);
        saved.current = stored ?? { code: loaded.starter, hintsShown: 0 };
        setHintsShown(saved.current.hintsShown);
        setContent(loaded);
        editor.current = createCodeEditor(editorHost.current, {
          code: saved.current.code,
          label: 'Your code: the body of an async function given run, log, sleep and signal',
          onChange: (code) => (adopting ? keep({ code }) : edited(code)),
        });
        void adoptNewer(loaded.starter);
      },
      (error: unknown) => live && setLoadFailure(errorMessage(error)),
    );
    /** The server's copy replaces this browser's when it was saved later (written in another browser). */
    let adopting = false;
    const adoptNewer = async (starter: string) => {
      const remote = await sync.current.pull();
      const local = saved.current;
      if (!live || !editor.current) return;
      if (remote && remote.savedAt > (local.savedAt ?? 0) && remote.code !== editor.current.code()) {
        adopting = true;
        editor.current.replace(remote.code);
        adopting = false;
        keep({ code: remote.code, savedAt: remote.savedAt });
      } else if (local.savedAt !== undefined && local.code !== starter && (!remote || local.savedAt > remote.savedAt)) {
        sync.current.push(local.code, local.savedAt);
      }
    };
    const leaving = () => sync.current.flush();
    window.addEventListener('pagehide', leaving);
    return () => {
      live = false;
      window.removeEventListener('pagehide', leaving);
      sync.current.flush();
      stopRun.current?.();
      editor.current?.destroy();
      editor.current = null;
    };
  }, [lesson, exercise]);

  // Lines arrive as fast as the learner's code logs: they reach the page once a frame, not one render each.
  const unprinted = useRef<OutputLine[]>([]);
  const print = (line: OutputLine) => {
    unprinted.current.push(line);
    if (unprinted.current.length > 1) return;
    requestAnimationFrame(() => {
      const lines = unprinted.current;
      unprinted.current = [];
      setOutput((shown) => [...shown, ...lines].slice(-MAX_OUTPUT_LINES));
    });
  };

  const run = async () => {
    const code = editor.current?.code();
    if (code === undefined || !sandboxHost.current) return;
    unprinted.current = [];
    setOutput([]);
    setVerdict(null);
    setRequests(0);
    setPhase('starting');
    setStatus('Starting a run on the server…');
    let started: Awaited<ReturnType<typeof startExerciseRun>>;
    try {
      started = await startExerciseRun(lesson, exercise);
    } catch (error) {
      setPhase('idle');
      setStatus(`Could not start a run: ${errorMessage(error)}`);
      return;
    }
    setPhase('running');
    setStatus('Running your code…');
    const sandbox = runInSandbox({
      code,
      run: started,
      host: sandboxHost.current,
      onMessage: (message) => {
        if (message.kind === 'log') print({ kind: 'log', text: message.text });
        else if (message.kind === 'error') print({ kind: 'error', text: describeSandboxError(message) });
        else setRequests(message.count);
      },
    });
    stopRun.current = sandbox.stop;

    // The checks as the server sees them, once a second while the code runs.
    let reading = false;
    let ended = false;
    const live = setInterval(async () => {
      if (reading) return;
      reading = true;
      try {
        const current = await readExerciseRun(started.id);
        if (!ended) setVerdict(current);
      } catch {
        // A missed reading is fine: the verdict comes with the finish.
      } finally {
        reading = false;
      }
    }, LIVE_CHECKS_MS);

    const end = await sandbox.ended;
    ended = true;
    clearInterval(live);
    stopRun.current = null;
    // Stop is about to be disabled: a keyboard reader who pressed it lands on Run once Run is enabled again.
    const stopHadFocus = document.activeElement === stopButton.current;
    print({ kind: 'info', text: END_TEXT[end] });
    setPhase('finishing');
    setStatus('Asking the server for its verdict…');
    try {
      const final = await finishExerciseRun(started.id);
      setVerdict(final);
      setStatus(verdictSummary(final));
      if (final.state === 'passed') passed();
    } catch (error) {
      setStatus(`Could not get the verdict: ${errorMessage(error)}`);
    }
    setPhase('idle');
    if (stopHadFocus) requestAnimationFrame(() => runButton.current?.focus());
  };

  /** A pass counts in the reader's progress at once; the server's "verified" comes with a fresh copy of it. */
  const passed = () => {
    markExerciseDone(lesson, exercise);
    void startServerSync().pull();
  };

  const reset = () => {
    if (!content) return;
    editor.current?.replace(content.starter);
    setDiff(null);
    setStatus('The starter code is back (Ctrl+Z brings yours back).');
    editor.current?.focus();
  };

  const showHint = () => {
    if (!content) return;
    const next = nextHintCount(content.hints, hintsShown);
    setHintsShown(next);
    keep({ hintsShown: next });
  };

  const toggleSolution = () => {
    if (!content) return;
    setDiff(diff ? null : diffLines(editor.current?.code() ?? '', content.solution));
  };

  const busy = phase !== 'idle';
  const summary = diff ? diffSummary(diff) : null;
  const hints = content ? visibleHints(content.hints, hintsShown) : [];

  return (
    <div class="code-exercise">
      {loadFailure && (
        <p class="widget-error" role="alert">
          The exercise could not be loaded: {loadFailure}
        </p>
      )}
      <div ref={editorHost} class="code-exercise-editor" />
      <div class="widget-row">
        <button ref={runButton} type="button" class="widget-button widget-primary" onClick={run} disabled={!content || busy}>
          Run
        </button>
        <button ref={stopButton} type="button" class="widget-button" onClick={() => stopRun.current?.()} disabled={phase !== 'running'}>
          Stop
        </button>
        <button type="button" class="widget-button" onClick={reset} disabled={!content}>
          Reset to starter
        </button>
        <button type="button" class="widget-button" onClick={showHint} disabled={!content || hintsShown >= (content?.hints.length ?? 0)}>
          {content ? hintButtonLabel(content.hints, hintsShown) : 'Show a hint'}
        </button>
        <button type="button" class="widget-button" onClick={toggleSolution} disabled={!content} aria-expanded={diff !== null}>
          {diff ? 'Hide the solution' : 'Show the solution'}
        </button>
      </div>
      <p class="widget-status" role="status" aria-live="polite">
        {status}
      </p>
      {hints.length > 0 && (
        <ol class="code-exercise-hints" aria-label="Hints">
          {hints.map((hint) => (
            <li key={hint}>{hint}</li>
          ))}
        </ol>
      )}
      {diff && summary && (
        <figure class="code-exercise-diff">
          <figcaption>
            The solution against your code: {summary.added} {summary.added === 1 ? 'line' : 'lines'} to add, {summary.removed} to remove.
          </figcaption>
          <pre class="widget-mono">
            {diff.map((line, index) => (
              <span key={index} class={`code-exercise-diff-${line.kind}`}>
                <span aria-hidden="true">{line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}</span>
                {line.kind !== 'same' && <span class="visually-hidden">{line.kind}: </span>}
                {line.text}
                {'\n'}
              </span>
            ))}
          </pre>
        </figure>
      )}
      <section class="code-exercise-output" aria-label="Output">
        <h3 class="widget-hint">Output{requests > 0 ? ` · ${requests} ${requests === 1 ? 'request' : 'requests'} sent` : ''}</h3>
        <pre class="widget-mono">
          {output.length === 0 ? (
            <span class="widget-hint">What your code logs shows here.</span>
          ) : (
            output.map((line, index) => (
              <span key={index} class={`code-exercise-line-${line.kind}`}>
                {line.text}
                {'\n'}
              </span>
            ))
          )}
        </pre>
      </section>
      {verdict && (
        <section class="widget-exercise" aria-label="What the server checked">
          <ul class="widget-checks">
            {verdict.checks.map((check) => (
              <ExerciseCheckItem key={check.id} state={CHECK_STATE[check.state]}>
                <strong data-check={check.id}>{check.title}</strong>
                {check.detail && <span class="widget-hint"> {check.detail}</span>}
              </ExerciseCheckItem>
            ))}
          </ul>
          {verdict.verifiedAt !== undefined && <p class="widget-exercise-done">Verified by the server ✓</p>}
        </section>
      )}
      <div ref={sandboxHost} hidden />
    </div>
  );
}
