import type { FunctionComponent } from 'preact';
import { useId, useState } from 'preact/hooks';
import type { CodeExercisePanelProps } from './CodeExercisePanel.tsx';
import '../styles/widget.css';

/**
 * "Write it yourself": a lesson's coded exercise, closed at first. Opening it
 * loads the editor, the exercise's files and the sandbox (CodeExercisePanel,
 * a dynamic import), so a reader who never opens it downloads none of that.
 * Once open, the panel stays mounted while hidden: a run goes on.
 */
export function CodeExercise({ lesson, exercise, title }: CodeExercisePanelProps & { title: string }) {
  const [open, setOpen] = useState(false);
  const [Panel, setPanel] = useState<FunctionComponent<CodeExercisePanelProps> | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const panelId = useId();

  const toggle = async () => {
    setOpen(!open);
    if (open || Panel) return;
    setFailure(null);
    try {
      const loaded = await import('./CodeExercisePanel.tsx');
      setPanel(() => loaded.CodeExercisePanel);
    } catch {
      setFailure('The editor could not be loaded (network error?). Close and open again to retry.');
      setOpen(false);
    }
  };

  return (
    <section class="widget" data-widget="code-exercise" aria-label={`Write it yourself: ${title}`}>
      <p>
        <button type="button" class="widget-button widget-primary" aria-expanded={open} aria-controls={panelId} onClick={toggle}>
          {open ? 'Close the editor' : `Write it yourself: ${title}`}
        </button>
      </p>
      {failure && (
        <p class="widget-error" role="alert">
          {failure}
        </p>
      )}
      <div id={panelId} hidden={!open}>
        {Panel ? (
          <Panel lesson={lesson} exercise={exercise} />
        ) : (
          open && (
            <p class="widget-status" role="status">
              Loading the editor…
            </p>
          )
        )}
      </div>
    </section>
  );
}
