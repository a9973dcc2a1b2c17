import { useRef, useState } from 'preact/hooks';
import type { LessonSummary } from '../../lessons/course.ts';
import { PROGRESS_EXPORT_FILE_NAME, type Progress } from '../../protocol/progress.ts';
import { formatPoints, scoreAttempt, type ScenarioKey } from '../../protocol/quiz/scenarios.ts';
import { exportProgress, importProgress, lessonState } from '../../progress/local-progress.ts';
import { resetEverywhere, syncStatus, verifiedExercises, type SyncStatus } from '../../progress/server-sync.ts';
import type { ProgressProblem } from '../../protocol/validate-progress.ts';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { CourseBar } from './CourseBar.tsx';
import { LessonStateIcon } from './LessonStateIcon.tsx';
import { useProgress } from '../../progress/use-progress.ts';
import './progress.css';

interface Props {
  lessons: LessonSummary[];
  /** The quiz's scenarios, to count an attempt's half points. */
  scenarios: ScenarioKey[];
}

const stateLabels = { 'not-started': 'Not started', 'in-progress': 'In progress', complete: 'Complete' } as const;

/** A lesson's exercises done: those the server itself saw pass say so, apart from those this browser marked. */
function ExerciseList({ exercises, verified }: { exercises: string[]; verified: Record<string, number> }) {
  return (
    <ul class="progress-exercises">
      {exercises.map((id) => (
        <li key={id}>
          {id}
          {verified[id] !== undefined && (
            <span class="progress-verified" title={`Verified by the server on ${formatDate(verified[id])}`}>
              {' '}
              ✓ verified by the server
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The "Your progress" page: every lesson's state, quiz attempts, and export, import and reset. */
export default function YourProgress({ lessons, scenarios }: Props) {
  const progress = useProgress();
  const states = lessons.map((lesson) => lessonState(progress, lesson.slug));
  const done = states.filter((state) => state === 'complete').length;
  const attempts = [...(progress.quiz ?? [])].reverse();

  return (
    <div class="your-progress">
      <section aria-labelledby="summary-title">
        <h2 id="summary-title" class="visually-hidden">
          Summary
        </h2>
        <p class="your-progress-count">
          {done} of {lessons.length} lessons complete
        </p>
        <CourseBar done={done} total={lessons.length} />
        <SyncLine />
      </section>

      <section aria-labelledby="lessons-title">
        <h2 id="lessons-title">Lessons</h2>
        <table class="progress-table">
          <thead>
            <tr>
              <th scope="col">Lesson</th>
              <th scope="col">State</th>
              <th scope="col">Exercises done</th>
              <th scope="col">Completed</th>
            </tr>
          </thead>
          <tbody>
            {lessons.map((lesson, i) => {
              const entry = progress.lessons[lesson.slug];
              const verified = verifiedExercises.value[lesson.slug] ?? {};
              // What the server verified counts even before this browser has recorded it.
              const exercises = [...new Set([...Object.keys(entry?.exercises ?? {}), ...Object.keys(verified)])];
              return (
                <tr key={lesson.slug} data-lesson={lesson.slug} data-state={states[i]}>
                  <th scope="row">
                    <a href={lesson.url}>
                      {lesson.order}. {lesson.title}
                    </a>
                  </th>
                  <td>
                    <span class="progress-state">
                      <LessonStateIcon state={states[i]!} />
                      <span aria-hidden="true">{stateLabels[states[i]!]}</span>
                    </span>
                  </td>
                  <td>{exercises.length > 0 ? <ExerciseList exercises={exercises} verified={verified} /> : '—'}</td>
                  <td>{states[i] === 'complete' && entry?.completedAt ? formatDate(entry.completedAt) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>

      <section aria-labelledby="quiz-title">
        <h2 id="quiz-title">Quiz attempts</h2>
        {attempts.length === 0 ? (
          <p class="your-progress-muted">No attempts yet. The scenario quiz is in the last lesson.</p>
        ) : (
          <table class="progress-table">
            <thead>
              <tr>
                <th scope="col">Finished</th>
                <th scope="col">Score</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt) => (
                <tr key={attempt.id} data-attempt={attempt.id}>
                  <td>{formatDate(attempt.at, true)}</td>
                  <td>
                    {formatPoints(scoreAttempt(scenarios, attempt.answers).points)} / {attempt.total}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="manage-title" class="your-progress-manage">
        <h2 id="manage-title">Keep, move or start over</h2>
        <ExportPanel />
        <ImportPanel lessons={lessons} />
        <ResetPanel />
      </section>
    </div>
  );
}

function SyncLine() {
  // Like useProgress: the server-rendered HTML says "idle"; the real status arrives after hydration.
  const status: SyncStatus = useHydrated() ? syncStatus.value : { state: 'idle' };
  const synced = status.syncedAt ? ` Last synced with the server at ${formatTime(status.syncedAt)}.` : '';
  const text: Record<SyncStatus['state'], string> = {
    idle: 'Saved in this browser.',
    syncing: `Saved in this browser; syncing with the server…${synced}`,
    synced: `Saved in this browser and on the server.${synced}`,
    offline: `Saved in this browser. The server cannot be reached; it will be synced when it can.${synced}`,
    failed: `Saved in this browser, but the server refused it (${status.message ?? 'no reason given'})${synced}`,
  };
  return (
    <p class="your-progress-muted" data-sync-state={status.state}>
      {text[status.state]}
    </p>
  );
}

function ExportPanel() {
  const download = () => {
    const file = exportProgress();
    const blob = new Blob([`${JSON.stringify(file, null, 2)}\n`], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = PROGRESS_EXPORT_FILE_NAME;
    document.body.append(link);
    link.click();
    link.remove();
    // The download has started by now; keep the URL a moment for browsers that read it late.
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  return (
    <div class="your-progress-panel">
      <h3>Export</h3>
      <p class="your-progress-muted">A JSON file with everything on this page, to keep or to bring to another browser.</p>
      <button type="button" class="button secondary" onClick={download}>
        Export as JSON
      </button>
    </div>
  );
}

/**
 * The file check (zod: about 9 kB gzip) loads when the reader picks a file,
 * not with the page: most visits never import. The module system keeps it once loaded.
 */
const loadFileCheck = () => import('../../protocol/validate-progress.ts');

type ImportOutcome = { kind: 'none' } | { kind: 'problems'; problems: ProgressProblem[] } | { kind: 'done'; message: string };

function ImportPanel({ lessons }: { lessons: LessonSummary[] }) {
  const fileInput = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const [mode, setMode] = useState<'merge' | 'replace'>('merge');
  const [outcome, setOutcome] = useState<ImportOutcome>({ kind: 'none' });
  const [pending, setPending] = useState<Progress | undefined>(undefined);

  const apply = (imported: Progress, how: 'merge' | 'replace') => {
    const changed = importProgress(imported, how);
    const complete = lessons.filter((lesson) => lessonState(imported, lesson.slug) === 'complete').length;
    const attempts = imported.quiz?.length ?? 0;
    const what = `${complete} complete ${complete === 1 ? 'lesson' : 'lessons'}, ${attempts} quiz ${attempts === 1 ? 'attempt' : 'attempts'}`;
    setOutcome({
      kind: 'done',
      message: !changed
        ? `Nothing new in the file (${what}): everything in it is already here, or older than your last reset. Choose “Replace” to bring it back exactly.`
        : how === 'merge'
          ? `Imported and merged with your progress: the file had ${what}.`
          : `Your progress was replaced by the file: ${what}.`,
    });
    if (fileInput.current) fileInput.current.value = '';
  };

  const start = async (event: Event) => {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setOutcome({ kind: 'problems', problems: [{ field: '', message: 'Choose a progress file first.' }] });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(await file.text());
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unreadable';
      setOutcome({ kind: 'problems', problems: [{ field: '', message: `The file is not JSON: ${reason}` }] });
      return;
    }
    const fileCheck = await loadFileCheck().catch(() => undefined);
    if (!fileCheck) {
      setOutcome({ kind: 'problems', problems: [{ field: '', message: 'The file check could not be loaded: is the server reachable?' }] });
      return;
    }
    const checked = fileCheck.validateProgressExport(
      json,
      lessons.map((lesson) => lesson.slug),
    );
    if (!checked.ok) {
      setOutcome({ kind: 'problems', problems: checked.problems });
      return;
    }
    if (mode === 'merge') {
      apply(checked.progress, 'merge');
      return;
    }
    setPending(checked.progress);
    dialog.current?.showModal();
  };

  const confirmReplace = () => {
    dialog.current?.close();
    if (pending) apply(pending, 'replace');
    setPending(undefined);
  };

  return (
    <form class="your-progress-panel" onSubmit={start}>
      <h3>Import</h3>
      <p class="your-progress-muted">Bring in a file made with “Export as JSON”, here or in another browser.</p>
      <label class="your-progress-file">
        Progress file
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          onChange={() => {
            setOutcome({ kind: 'none' });
            // Start loading now; the press of "Import progress" waits for it (and reports a failure).
            loadFileCheck().catch(() => {});
          }}
        />
      </label>
      <fieldset class="your-progress-mode">
        <legend>How</legend>
        <label>
          <input type="radio" name="import-mode" checked={mode === 'merge'} onChange={() => setMode('merge')} />
          Merge with my progress (nothing is lost)
        </label>
        <label>
          <input type="radio" name="import-mode" checked={mode === 'replace'} onChange={() => setMode('replace')} />
          Replace my progress with the file
        </label>
      </fieldset>
      <button type="submit" class="button secondary">
        Import progress
      </button>
      {outcome.kind === 'problems' && (
        <div class="your-progress-error" role="alert">
          <p>This file cannot be imported:</p>
          <ul>
            {outcome.problems.slice(0, 5).map((problem) => (
              <li key={`${problem.field}:${problem.message}`}>
                {problem.field && <code>{problem.field}</code>} {problem.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <p role="status" class="your-progress-done">
        {outcome.kind === 'done' ? outcome.message : ''}
      </p>
      <dialog ref={dialog} class="your-progress-dialog" aria-labelledby="replace-title" onClose={() => setPending(undefined)}>
        <h3 id="replace-title">Replace your progress?</h3>
        <p>Your progress in this browser and on the server becomes exactly what the file holds. What is not in the file is gone.</p>
        <div class="your-progress-dialog-buttons">
          <button type="button" class="button secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="button danger" onClick={confirmReplace}>
            Yes, replace it
          </button>
        </div>
      </dialog>
    </form>
  );
}

function ResetPanel() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [message, setMessage] = useState('');
  const reset = async () => {
    dialog.current?.close();
    await resetEverywhere();
    setMessage('Your progress was reset, in this browser and on the server.');
  };
  return (
    <div class="your-progress-panel">
      <h3>Reset</h3>
      <p class="your-progress-muted">Start over: forget every lesson, exercise and quiz attempt, here and on the server.</p>
      <button type="button" class="button danger" onClick={() => dialog.current?.showModal()}>
        Reset progress
      </button>
      <p role="status" class="your-progress-done">
        {message}
      </p>
      <dialog ref={dialog} class="your-progress-dialog" aria-labelledby="reset-title">
        <h3 id="reset-title">Reset all progress?</h3>
        <p>
          This forgets every lesson, exercise and quiz attempt, in this browser and on the server. Export first if you might want it back.
        </p>
        <div class="your-progress-dialog-buttons">
          <button type="button" class="button secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="button danger" onClick={() => void reset()}>
            Yes, reset everything
          </button>
        </div>
      </dialog>
    </div>
  );
}

function formatDate(at: number, withTime = false): string {
  const date = new Date(at);
  return withTime
    ? date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
    : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString(undefined, { timeStyle: 'short' });
}
