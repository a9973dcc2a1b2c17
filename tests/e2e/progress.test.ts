import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

/** The progress the server holds for the context's learner (the request shares the context's cookies). */
async function serverProgress(request: APIRequestContext) {
  const response = await request.get('/api/progress');
  expect(response.status()).toBe(200);
  return ((await response.json()) as { progress: { lessons: Record<string, { completedAt?: number }>; quiz?: unknown[] } }).progress;
}

/** Waits until the server has lesson `slug` complete (uploads are debounced by about a second). */
async function expectCompleteOnServer(context: BrowserContext, slug: string): Promise<void> {
  await expect.poll(async () => (await serverProgress(context.request)).lessons[slug]?.completedAt, { timeout: 10_000 }).toBeGreaterThan(0);
}

async function markLessonComplete(page: Page, slug: string): Promise<void> {
  await page.goto(`/lessons/${slug}/`);
  await page.getByRole('button', { name: 'Mark complete' }).click();
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
}

// The quiz's own data, so the test knows the right answers without repeating them.
const { scenarios } = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../content/quiz/scenarios.json'), 'utf8')) as {
  scenarios: { title: string; answer: 'short-polling' | 'long-polling' | 'sse' | 'websocket' }[];
};
const TECHNIQUE_NAMES = {
  'short-polling': 'Short polling',
  'long-polling': 'Long polling',
  sse: 'Server-Sent Events',
  websocket: 'WebSockets',
};

/** Answers every scenario of lesson 9's quiz, right, through its buttons: one finished round. */
async function finishQuizRound(page: Page): Promise<void> {
  await page.goto('/lessons/choosing/');
  const quiz = page.locator('[data-widget="scenario-quiz"]');
  await quiz.scrollIntoViewIfNeeded();
  for (const [index, scenario] of scenarios.entries()) {
    await expect(quiz.getByRole('heading', { level: 3, name: scenario.title })).toBeVisible();
    await quiz.getByRole('button', { name: TECHNIQUE_NAMES[scenario.answer], exact: true }).click();
    const last = index === scenarios.length - 1;
    await quiz.getByRole('button', { name: last ? 'See your score' : 'Next scenario' }).click();
  }
  await expect(quiz.locator('[data-quiz-score]')).toHaveText(`${scenarios.length} of ${scenarios.length}`);
}

function lessonRow(page: Page, title: string) {
  return page.getByRole('row').filter({ hasText: title });
}

test('a completed lesson and a quiz round survive a reload, and come back from the server in a new browser context', async ({
  browser,
}) => {
  const first = await browser.newContext();
  const page = await first.newPage();
  await markLessonComplete(page, 'why-real-time');
  await finishQuizRound(page);

  // A perfect round is lesson 9's exercise: it completes that lesson too.
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Complete\s*1\. Why real-time/ })).toBeVisible();

  await expectCompleteOnServer(first, 'why-real-time');
  await expect.poll(async () => (await serverProgress(first.request)).quiz?.length ?? 0).toBe(1);

  const cookies = await first.cookies();
  const learner = cookies.find((cookie) => cookie.name === 'rtw_learner');
  expect(learner).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  await first.close();

  // A new context: empty localStorage, only the cookie. The progress comes from the server.
  const second = await browser.newContext();
  await second.addCookies(cookies);
  const again = await second.newPage();
  await again.goto('/');
  const card = again.getByRole('listitem').filter({ hasText: '1. Why real-time' });
  await expect(card).toHaveClass(/\bcomplete\b/);
  await expect(again.getByRole('progressbar', { name: 'Course progress' })).not.toHaveAttribute('aria-valuenow', '0');

  await again.getByRole('link', { name: 'Progress', exact: true }).click();
  await expect(again.getByRole('heading', { level: 1, name: 'Your progress' })).toBeVisible();
  await expect(lessonRow(again, 'Why real-time')).toHaveAttribute('data-state', 'complete');
  await expect(again.getByRole('row').filter({ hasText: `${scenarios.length} / ${scenarios.length}` })).toBeVisible();
  await second.close();
});

test('progress exported as JSON imports into a fresh browser, by merging or replacing', async ({ browser }, testInfo) => {
  const source = await browser.newContext();
  const page = await source.newPage();
  await markLessonComplete(page, 'short-polling');
  await page.goto('/progress/');
  await expect(lessonRow(page, 'Short polling')).toHaveAttribute('data-state', 'complete');

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as JSON' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('realtime-workbook-progress.json');
  const file = testInfo.outputPath('realtime-workbook-progress.json');
  await download.saveAs(file);
  const exported = JSON.parse(await readFile(file, 'utf8'));
  expect(exported).toMatchObject({ format: 'realtime-workbook-progress', version: 1 });
  expect(exported.progress.lessons['short-polling'].completedAt).toBeGreaterThan(0);
  await source.close();

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await markLessonComplete(other, 'long-polling');
  await other.goto('/progress/');
  await expect(lessonRow(other, 'Short polling')).toHaveAttribute('data-state', 'not-started');

  // A file that is not a progress file is refused with the reason.
  await other.getByLabel('Progress file').setInputFiles({
    name: 'notes.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"lessons": {}}'),
  });
  await other.getByRole('button', { name: 'Import progress' }).click();
  await expect(other.getByRole('alert')).toContainText('not a Realtime Workbook progress file');

  // Merge: both lessons complete.
  await other.getByLabel('Progress file').setInputFiles(file);
  await other.getByRole('button', { name: 'Import progress' }).click();
  await expect(other.getByRole('status').filter({ hasText: 'Imported and merged' })).toBeVisible();
  await expect(lessonRow(other, 'Short polling')).toHaveAttribute('data-state', 'complete');
  await expect(lessonRow(other, 'Long polling')).toHaveAttribute('data-state', 'complete');
  await expectCompleteOnServer(fresh, 'short-polling');
  await other.reload();
  await expect(lessonRow(other, 'Short polling')).toHaveAttribute('data-state', 'complete');

  // Replace, after a confirmation: only the file's lesson stays, here and on the server.
  await other.getByLabel('Progress file').setInputFiles(file);
  await other.getByLabel('Replace my progress with the file').check();
  await other.getByRole('button', { name: 'Import progress' }).click();
  const confirm = other.getByRole('dialog', { name: 'Replace your progress?' });
  await confirm.getByRole('button', { name: 'Yes, replace it' }).click();
  await expect(lessonRow(other, 'Long polling')).toHaveAttribute('data-state', 'not-started');
  await expect(lessonRow(other, 'Short polling')).toHaveAttribute('data-state', 'complete');
  await expect
    .poll(async () => Object.keys((await serverProgress(fresh.request)).lessons).sort(), { timeout: 10_000 })
    .toEqual(['short-polling']);
  await fresh.close();
});

test('reset asks first, then empties the progress here and on the server', async ({ page, context }) => {
  await markLessonComplete(page, 'websockets');
  await expectCompleteOnServer(context, 'websockets');
  await page.getByRole('link', { name: 'Progress', exact: true }).click();
  await expect(lessonRow(page, 'WebSockets')).toHaveAttribute('data-state', 'complete');

  await page.getByRole('button', { name: 'Reset progress' }).click();
  const dialog = page.getByRole('dialog', { name: 'Reset all progress?' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(lessonRow(page, 'WebSockets')).toHaveAttribute('data-state', 'complete');

  await page.getByRole('button', { name: 'Reset progress' }).click();
  await dialog.getByRole('button', { name: 'Yes, reset everything' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Your progress was reset' })).toBeVisible();
  await expect(lessonRow(page, 'WebSockets')).toHaveAttribute('data-state', 'not-started');
  expect((await serverProgress(context.request)).lessons).toEqual({});

  await page.goto('/');
  await expect(page.getByRole('progressbar', { name: 'Course progress' })).toHaveAttribute('aria-valuenow', '0');
  await expect(page.getByRole('link', { name: /^Start with lesson 1/ })).toBeVisible();
});

test('two open tabs show the same progress, and only the tab that made a change uploads it', async ({ context }) => {
  const first = await context.newPage();
  const second = await context.newPage();
  await first.goto('/lessons/long-polling/');
  await second.goto('/');
  const uploads = { first: 0, second: 0 };
  first.on('request', (request) => request.method() === 'PUT' && (uploads.first += 1));
  second.on('request', (request) => request.method() === 'PUT' && (uploads.second += 1));

  await first.getByRole('button', { name: 'Mark complete' }).click();
  await expect(second.getByRole('listitem').filter({ hasText: '3. Long polling' })).toHaveClass(/\bcomplete\b/);
  await expectCompleteOnServer(context, 'long-polling');
  expect(uploads.first).toBeGreaterThan(0);
  expect(uploads.second).toBe(0);
});

test('with every lesson complete, the home page offers next steps instead of "Continue"', async ({ page }) => {
  await page.goto('/');
  const slugs = await page
    .locator('.lesson-card-title')
    .evaluateAll((links) => links.map((link) => new URL((link as HTMLAnchorElement).href).pathname.split('/')[2]!));
  expect(slugs.length).toBeGreaterThan(1);
  // A browser that has completed every lesson, written as the workbook itself stores it.
  await page.evaluate((lessons) => {
    const at = Date.now();
    const progress = {
      lessons: Object.fromEntries(lessons.map((slug) => [slug, { visitedAt: at, completedAt: at }])),
      last: { lesson: lessons.at(-1), at },
    };
    localStorage.setItem('rtw:progress:v1', JSON.stringify(progress));
  }, slugs);
  await page.reload();
  await expect(page.getByText(`${slugs.length} of ${slugs.length} complete`)).toBeVisible();
  await expect(page.getByRole('link', { name: /^Continue:/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Take the quiz again' })).toHaveAttribute('href', '/lessons/choosing/#exercise');
  await expect(page.getByRole('link', { name: 'Review your progress' })).toHaveAttribute('href', '/progress/');
  await page.getByRole('link', { name: 'Join a workshop' }).click();
  await expect(page.getByRole('heading', { name: 'Join a workshop' })).toBeInViewport();
});
