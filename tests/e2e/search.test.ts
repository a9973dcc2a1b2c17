import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

test('search: `/` opens it, nothing of it loads before, results lead to the section', async ({ page }) => {
  const searchFiles: string[] = [];
  page.on('request', (request) => {
    if (/\/pagefind\/|run-search/.test(request.url())) searchFiles.push(request.url());
  });
  await page.goto('/lessons/short-polling/');
  await page.waitForLoadState('networkidle');
  expect(searchFiles, 'search code loaded before the reader opened search').toEqual([]);

  await page.keyboard.press('/');
  const dialog = page.getByRole('dialog', { name: 'Search the lessons' });
  await expect(dialog).toBeVisible();
  const box = dialog.getByRole('searchbox', { name: 'Search the lessons' });
  await expect(box).toBeFocused();
  await box.fill('Last-Event-ID');
  // Enter is not a submit that closes the dialog: results come as the reader types.
  await box.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('status')).toContainText('lessons for “Last-Event-ID”');
  const lesson = dialog.getByRole('link', { name: 'Server-Sent Events', exact: true });
  await expect(lesson).toBeVisible();
  await expect(dialog.locator('mark').first()).toHaveText(/Last-Event-ID/i);
  await screenshot(page, 'search-results', { fullPage: false });

  // A section of another lesson: the link carries the heading's anchor.
  const section = dialog.getByRole('link', { name: 'The format, line by line' });
  await section.click();
  await expect(page).toHaveURL(/\/lessons\/server-sent-events\/#/);
  const anchor = decodeURIComponent(new URL(page.url()).hash.slice(1));
  await expect(page.locator(`[id="${anchor}"]`)).toBeVisible();

  await page.keyboard.press('/');
  await page.getByRole('searchbox', { name: 'Search the lessons' }).fill('zyzzyvaquux');
  await expect(page.getByRole('dialog').getByRole('status')).toHaveText('No lesson mentions “zyzzyvaquux”.');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
});

test('search: a slash typed into a field stays text', async ({ page }) => {
  await page.goto('/workshops/');
  const field = page.getByRole('textbox').first();
  await field.click();
  await page.keyboard.type('a/b');
  await expect(field).toHaveValue('a/b');
  await expect(page.getByRole('dialog')).toBeHidden();
});

test('search: the header button opens it on a phone', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByRole('button', { name: /search/i }).click();
  await page.getByRole('searchbox', { name: 'Search the lessons' }).fill('heartbeat');
  await expect(page.getByRole('dialog').getByRole('link').first()).toBeVisible();
  await screenshot(page, 'search-phone', { fullPage: false });
  await context.close();
});
