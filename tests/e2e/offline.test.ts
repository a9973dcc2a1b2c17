import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

test('a lesson read once reads offline, and its widgets say they need the server', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/lessons/long-polling/');
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The first visit installs the worker; this one goes through it and fills its cache.
  await page.reload();
  await page.waitForLoadState('networkidle');
  await expect(page.locator('html')).not.toHaveAttribute('data-offline');

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Long polling' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-offline');
  const widget = page.locator('.lesson-body astro-island').first();
  expect(await widget.evaluate((island) => getComputedStyle(island, '::before').content)).toContain('needs the workbook server');
  await screenshot(page, 'offline-lesson', { fullPage: false });

  // A page never read here: the worker says so instead of the browser's error page.
  await page.goto('/lessons/websockets/');
  await expect(page.getByRole('heading', { level: 1, name: 'You are offline' })).toBeVisible();

  await context.setOffline(false);
  await page.goto('/lessons/long-polling/');
  await expect(page.locator('html')).not.toHaveAttribute('data-offline');
  await context.close();
});
