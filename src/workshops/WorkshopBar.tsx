import { useEffect } from 'preact/hooks';
import { lessonPath } from '../protocol/quiz/techniques.ts';
import type { LearnerModel } from './learner-model.ts';

export interface WorkshopBarProps {
  model: LearnerModel;
  /** Lesson slug → title, for the "go to" prompt. */
  lessonTitles: Readonly<Record<string, string>>;
  /** Takes the bar off the page (after leaving, or once the end was read). */
  onGone: () => void;
  /** Opens a page; default: `location.assign`. */
  navigate?: (url: string) => void;
}

/**
 * The compact bar under the site header while the reader is in a workshop,
 * and the prompts it raises (the instructor's "go to", the end). Names and
 * titles are rendered as text, always.
 */
export function WorkshopBar({ model, lessonTitles, onGone, navigate = (url) => location.assign(url) }: WorkshopBarProps) {
  useEffect(() => {
    void model.start();
    return () => model.dispose();
  }, [model]);

  const { title, name } = model.membership.value;
  const ended = model.ended.value;
  const prompt = model.prompt.value;
  const done = model.done.value;

  if (ended) {
    return (
      <div class="workshop-bar workshop-bar-ended" role="region" aria-label="Workshop">
        <p class="workshop-bar-text" role="alert">
          {ended}
        </p>
        <button type="button" class="workshop-bar-button" onClick={onGone}>
          OK
        </button>
      </div>
    );
  }

  return (
    <>
      <div class="workshop-bar" role="region" aria-label="Workshop" data-workshop-bar>
        <p class="workshop-bar-text">
          <span class="workshop-bar-kicker">Workshop</span> <strong>{title}</strong> · you are <strong>{name}</strong>
          {model.state.value === 'locked' && (
            <span class="workshop-badge" title="Members stay; nobody new can join.">
              locked
            </span>
          )}
        </p>
        <div class="workshop-bar-actions">
          <button
            type="button"
            class={done ? 'workshop-bar-button workshop-bar-done' : 'workshop-bar-button'}
            aria-pressed={done}
            disabled={model.busy.value}
            onClick={() => void model.toggleDone()}
          >
            {done && <span aria-hidden="true">✓ </span>}Done with this step
          </button>
          <button
            type="button"
            class="workshop-bar-button"
            disabled={model.busy.value}
            onClick={async () => {
              if (await model.leave()) onGone();
            }}
          >
            Leave
          </button>
        </div>
        {model.error.value && (
          <p class="workshop-bar-error" role="alert">
            {model.error.value}
          </p>
        )}
      </div>
      {prompt && (
        <div class="workshop-prompt" role="region" aria-label="From your instructor">
          <p aria-live="assertive">
            Your instructor asks everyone to open <strong>{lessonTitles[prompt.lesson] ?? prompt.lesson}</strong>.
          </p>
          <div class="workshop-bar-actions">
            <button
              type="button"
              class="button"
              onClick={() => {
                model.acknowledge();
                navigate(lessonPath(prompt.lesson));
              }}
            >
              Go
            </button>
            <button type="button" class="button secondary" onClick={() => model.acknowledge()}>
              Dismiss
            </button>
          </div>
        </div>
      )}
    </>
  );
}
