import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { openExercise as openLessonExercise, replaceCode } from './code-exercise-page.ts';
import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

/**
 * Lesson 2's "Write it yourself" (src/exercises/CodeExercise.tsx): the editor loads only when opened,
 * keeps the learner's code in this browser, gives hints one at a time and the solution as a diff;
 * a run is judged by the real server from what the sandbox's requests did.
 */

const exerciseFolder = new URL('../../content/exercises/short-polling/etag-poller/', import.meta.url);
const solution = readFileSync(new URL('solution.js', exerciseFolder), 'utf8');
const hints = JSON.parse(readFileSync(new URL('hints.json', exerciseFolder), 'utf8')) as string[];

const openExercise = (page: Page) => openLessonExercise(page, 'short-polling');

test('the editor loads only when the learner opens the exercise', async ({ page }) => {
  const editorScripts: string[] = [];
  page.on('request', (request) => {
    if (/CodeExercisePanel/.test(request.url())) editorScripts.push(request.url());
  });
  await page.goto('/lessons/short-polling/');
  const exercise = page.locator('[data-widget="code-exercise"]');
  await exercise.scrollIntoViewIfNeeded();
  await expect(exercise.getByRole('button', { name: /Write it yourself/ })).toHaveAttribute('aria-expanded', 'false');
  expect(editorScripts).toEqual([]);

  await exercise.getByRole('button', { name: /Write it yourself/ }).click();
  await expect(exercise.getByRole('textbox', { name: /Your code/ })).toContainText('run.urls.job');
  expect(editorScripts).toHaveLength(1);
  await expect(exercise.getByRole('button', { name: 'Close the editor' })).toHaveAttribute('aria-expanded', 'true');
});

test('the code is kept in this browser; hints come one at a time; the solution shows as a diff; reset brings the starter back', async ({
  page,
}) => {
  let exercise = await openExercise(page);
  await replaceCode(page, exercise, 'log("mine");');
  await exercise.getByRole('button', { name: `Show a hint (1 of ${hints.length})` }).click();
  await expect(exercise.getByRole('list', { name: 'Hints' }).getByRole('listitem')).toHaveText([hints[0]!]);

  await page.reload();
  exercise = await openExercise(page);
  await expect(exercise.getByRole('textbox', { name: /Your code/ })).toHaveText('log("mine");');
  await expect(exercise.getByRole('list', { name: 'Hints' }).getByRole('listitem')).toHaveCount(1);
  for (let next = 2; next <= hints.length; next += 1)
    await exercise.getByRole('button', { name: `Show a hint (${next} of ${hints.length})` }).click();
  await expect(exercise.getByRole('list', { name: 'Hints' }).getByRole('listitem')).toHaveText(hints);
  await expect(exercise.getByRole('button', { name: `All ${hints.length} hints shown` })).toBeDisabled();

  await exercise.getByRole('button', { name: 'Show the solution' }).click();
  const solutionLines = solution.trimEnd().split('\n').length;
  await expect(exercise.getByText(`The solution against your code: ${solutionLines} lines to add, 1 to remove.`)).toBeVisible();
  await expect(exercise.locator('.code-exercise-diff-removed')).toHaveText(['- removed: log("mine");']);
  await exercise.screenshot({ path: new URL('screenshots/code-exercise-diff.png', import.meta.url).pathname });

  await exercise.getByRole('button', { name: 'Reset to starter' }).click();
  await expect(exercise.getByRole('textbox', { name: /Your code/ })).toContainText('for (let poll = 1; poll <= 20; poll += 1)');
  await expect(exercise.getByRole('status').filter({ hasText: 'The starter code is back' })).toBeVisible();
});

test('at 360 px wide and in dark mode, nothing overflows and the editor follows the theme', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.emulateMedia({ colorScheme: 'dark' });
  const exercise = await openExercise(page);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await exercise.getByRole('button', { name: /Show a hint/ }).click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
  const background = await exercise.locator('.cm-editor').evaluate((element) => getComputedStyle(element).backgroundColor);
  expect(background).toBe('rgb(26, 29, 33)'); // the site's dark --surface
  await exercise.scrollIntoViewIfNeeded();
  await screenshot(page, 'code-exercise-phone-dark', { fullPage: false });

  await page.getByRole('button', { name: 'Switch to light theme' }).first().click();
  await expect
    .poll(() => exercise.locator('.cm-editor').evaluate((element) => getComputedStyle(element).backgroundColor))
    .toBe('rgb(255, 255, 255)');
});

test('keyboard only: Tab reaches the editor and leaves it for the buttons', async ({ page }) => {
  const exercise = await openExercise(page);
  const editor = exercise.getByRole('textbox', { name: /Your code/ });
  await editor.focus();
  await page.keyboard.press('Tab');
  // Tab is not swallowed by the editor (no focus trap): it moves on to Run.
  await expect(exercise.getByRole('button', { name: 'Run' })).toBeFocused();
});

test('a correct solution passes, verified by the server', async ({ page }) => {
  test.setTimeout(90_000);
  const exercise = await openExercise(page);
  await replaceCode(page, exercise, solution);
  await exercise.getByRole('button', { name: 'Run' }).click();
  await expect(exercise.getByRole('button', { name: 'Stop' })).toBeEnabled();
  await expect(exercise.getByRole('status').filter({ hasText: /^Passed: all \d+ checks, verified by the server\.$/ })).toBeVisible({
    timeout: 60_000,
  });
  await expect(exercise.getByText('Verified by the server ✓')).toBeVisible();
  await expect(exercise.locator('.code-exercise-output')).toContainText('503');
  await exercise.screenshot({ path: new URL('screenshots/code-exercise-passed.png', import.meta.url).pathname });
});

test('the starter fails, and the checks say why', async ({ page }) => {
  test.setTimeout(90_000);
  const exercise = await openExercise(page);
  await exercise.getByRole('button', { name: 'Run' }).click();
  // Twenty polls, a second apart: stop it once it has polled past the end of the job, as a learner would.
  await expect(exercise.locator('.code-exercise-output')).toContainText(/succeeded[\s\S]*succeeded/, { timeout: 40_000 });
  // By keyboard: once the verdict is in, focus waits on Run (Stop is disabled again).
  await exercise.getByRole('button', { name: 'Stop' }).focus();
  await page.keyboard.press('Enter');
  await expect(exercise.getByRole('status').filter({ hasText: /^Not yet: \d+ of \d+ checks failed\.$/ })).toBeVisible({ timeout: 30_000 });
  await expect(exercise.getByRole('button', { name: 'Run' })).toBeFocused();
  // The starter sends no If-None-Match, polls again 1 s after the 503, and polls on after the end.
  for (const failed of ['conditional', 'retry-after', 'stopped']) {
    await expect(exercise.locator(`.widget-check-missed [data-check="${failed}"]`)).toBeVisible();
  }
});

test("the learner's code follows them to another browser", async ({ page, browser }) => {
  const exercise = await openExercise(page);
  const saved = page.waitForResponse((response) => response.url().endsWith('/code') && response.request().method() === 'PUT');
  await replaceCode(page, exercise, 'log("written on the laptop");');
  expect((await saved).status()).toBe(200);

  // Another browser of the same learner: a fresh profile holding only the learner cookie.
  const phone = await browser.newContext();
  await phone.addCookies((await page.context().cookies()).filter((cookie) => cookie.name === 'rtw_learner'));
  const there = await openLessonExercise(await phone.newPage(), 'short-polling');
  await expect(there.getByRole('textbox', { name: /Your code/ })).toHaveText('log("written on the laptop");');
  await phone.close();
});
