import { render, h } from 'preact';
import { createWorkshopClient } from './client.ts';
import { createLearnerModel } from './learner-model.ts';
import { readMembership } from './membership.ts';
import { WorkshopBar } from './WorkshopBar.tsx';
import './workshops.css';

/**
 * Mounts the workshop bar into BaseLayout's slot. BaseLayout imports this
 * module (and so Preact) only when a membership is stored: pages stay free of
 * workshop code for everyone else.
 */
export function mountWorkshopBar(slot: HTMLElement): void {
  const stored = readMembership();
  if (!stored) return;
  const lessonTitles = readLessonTitles();
  const currentLesson = document.querySelector<HTMLElement>('article[data-lesson]')?.dataset.lesson ?? null;
  const model = createLearnerModel(createWorkshopClient(), stored, { currentLesson });
  const gone = () => {
    render(null, slot);
    slot.hidden = true;
  };
  slot.hidden = false;
  render(h(WorkshopBar, { model, lessonTitles, onGone: gone }), slot);
}

/** The slug → title map BaseLayout writes into the page as JSON. */
function readLessonTitles(): Record<string, string> {
  try {
    const parsed = JSON.parse(document.getElementById('rtw-lesson-titles')?.textContent ?? '{}') as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}
