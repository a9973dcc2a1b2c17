import type { Locator, Page } from '@playwright/test';
import { expect } from './fixtures.ts';

/** Opens `lesson`'s "Write it yourself" as a learner does, and answers the exercise's box once the editor is there. */
export async function openExercise(page: Page, lesson: string): Promise<Locator> {
  await page.goto(`/lessons/${lesson}/`);
  const exercise = page.locator('[data-widget="code-exercise"]');
  await exercise.scrollIntoViewIfNeeded();
  await exercise.getByRole('button', { name: /Write it yourself/ }).click();
  await expect(exercise.getByRole('textbox', { name: /Your code/ })).toBeVisible();
  return exercise;
}

/** Replaces the editor's text as a learner would: select all, then paste (CodeMirror closes brackets as you type). */
export async function replaceCode(page: Page, exercise: Locator, code: string): Promise<void> {
  await exercise.getByRole('textbox', { name: /Your code/ }).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}
