import { useEffect, useRef, useState } from 'preact/hooks';
import { markExerciseDone } from '../progress/local-progress.ts';
import { startServerSync } from '../progress/server-sync.ts';
import { ExerciseCheckItem } from '../widgets/shared/ExerciseCheckItem.tsx';
import { errorMessage } from '../widgets/shared/http.ts';
import { type CodeEditor, createCodeEditor } from './code-editor.ts';
import { ExerciseCode } from './exercise-code.ts';
import { type ExerciseContent, loadExerciseContent } from './exercise-content.ts';
import { createExerciseRunModel, type ExerciseRunModel } from './exercise-run-model.ts';
import { hintButtonLabel, nextHintCount, visibleHints } from './hint-ladder.ts';
import { type DiffLine, diffLines, diffSummary } from './line-diff.ts';
import { finishExerciseRun, readExerciseRun, startExerciseRun } from './run-client.ts';
import { runInSandbox } from './sandbox-runner.ts';
import './code-exercise.css';

export interface CodeExercisePanelProps {
  /** The lesson's slug, e.g. `short-polling`. */
  lesson: string;
  /** The exercise's id in the lesson, e.g. `etag-poller` (`content/exercises/<lesson>/<exercise>/`). */
  exercise: string;
}

const CHECK_STATE = { passed: 'met', failed: 'missed', pending: 'pending' } as const;

/**
 * The open coded exercise: the editor holding the learner's code
 * (exercise-code.ts keeps it), Run and Stop, the output of their `log` calls
 * and errors, the server's checks (exercise-run-model.ts), hints one at a
 * time, and the solution as a diff.
 */
export function CodeExercisePanel({ lesson, exercise }: CodeExercisePanelProps) {
  const editorHost = useRef<HTMLDivElement>(null);
  const sandboxHost = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | null>(null);
  const runButton = useRef<HTMLButtonElement>(null);
  const stopButton = useRef<HTMLButtonElement>(null);
  const [content, setContent] = useState<ExerciseContent | null>(null);
  const [loadFailure, setLoadFailure] = useState<string | null>(null);
  const [hintsShown, setHintsShown] = useState(0);
  const [diff, setDiff] = useState<DiffLine[] | null>(null);
  const [code] = useState(() => new ExerciseCode(lesson, exercise));
  const [model] = useState(() => createRun(lesson, exercise, sandboxHost));

  useEffect(() => {
    let live = true;
    loadExerciseContent(lesson, exercise).then(
      async (loaded) => {
        if (!live || !editorHost.current) return;
        const opened = code.open(loaded.starter);
        setHintsShown(opened.hintsShown);
        setContent(loaded);
        const shown = createCodeEditor(editorHost.current, {
          code: opened.code,
          label: 'Your code: the body of an async function given run, log, sleep and signal',
          onChange: (changed) => code.edited(changed),
        });
        editor.current = shown;
        // Written later in another browser of this learner? Then that copy is the one to go on with.
        const newer = await code.reconcile(loaded.starter, shown.code());
        if (live && newer !== undefined) shown.replace(newer);
      },
      (error: unknown) => live && setLoadFailure(errorMessage(error)),
    );
    const leaving = () => code.flush();
    window.addEventListener('pagehide', leaving);
    return () => {
      live = false;
      window.removeEventListener('pagehide', leaving);
      code.flush();
      model.stop();
      editor.current?.destroy();
      editor.current = null;
    };
  }, [code, model]);

  // Stop is disabled when the code ends: a keyboard reader who pressed it lands on Run once Run is enabled again.
  useEffect(() => {
    let refocus = false;
    return model.phase.subscribe((phase) => {
      if (phase === 'finishing') refocus = document.activeElement === stopButton.current;
      if (phase === 'idle' && refocus) {
        refocus = false;
        requestAnimationFrame(() => runButton.current?.focus());
      }
    });
  }, [model]);

  const run = () => {
    const written = editor.current?.code();
    if (written !== undefined && sandboxHost.current) void model.run(written);
  };

  const reset = () => {
    if (!content) return;
    editor.current?.replace(content.starter);
    setDiff(null);
    model.say('The starter code is back (Ctrl+Z brings yours back).');
    editor.current?.focus();
  };

  const showHint = () => {
    if (!content) return;
    const next = nextHintCount(content.hints, hintsShown);
    setHintsShown(next);
    code.hintsSeen(next);
  };

  const toggleSolution = () => {
    if (!content) return;
    setDiff(diff ? null : diffLines(editor.current?.code() ?? '', content.solution));
  };

  const phase = model.phase.value;
  const busy = phase !== 'idle';
  const output = model.output.value;
  const requests = model.requests.value;
  const verdict = model.verdict.value;
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
        <button ref={stopButton} type="button" class="widget-button" onClick={model.stop} disabled={phase !== 'running'}>
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
        {model.status.value}
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

/** The panel's runs: on the server's run routes, in a sandbox frame under `host`; a pass marks the exercise done. */
function createRun(lesson: string, exercise: string, host: { current: HTMLElement | null }): ExerciseRunModel {
  return createExerciseRunModel({
    start: () => startExerciseRun(lesson, exercise),
    read: (id) => readExerciseRun(id),
    finish: (id) => finishExerciseRun(id),
    // The panel runs only once mounted, with its sandbox's place on the page.
    sandbox: (code, run, onMessage) => runInSandbox({ code, run, host: host.current!, onMessage }),
    // A pass counts in the reader's progress at once; the server's "verified" comes with a fresh copy of it.
    onPassed: () => {
      markExerciseDone(lesson, exercise);
      void startServerSync().pull();
    },
  });
}
