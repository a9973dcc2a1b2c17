import { expect, test } from './fixtures.ts';

test('a lesson prints its content only: no navigation, and each widget becomes one line', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/lessons/websockets/');
  await page.waitForLoadState('networkidle');
  await page.emulateMedia({ media: 'print', colorScheme: 'dark' });

  for (const selector of ['.site-header', '.lesson-sidebar', '.lesson-toc', '.lesson-footer']) {
    await expect(page.locator(selector), `${selector} is printed`).toBeHidden();
  }
  await expect(page.getByRole('heading', { level: 1, name: 'WebSockets' })).toBeVisible();

  const widget = page.locator('.lesson-body astro-island').first();
  expect(await widget.evaluate((island) => getComputedStyle(island, '::before').content)).toContain('Live demo');
  await expect(widget.locator('> *').first()).toBeHidden();

  // Paper is white, whatever the reader's theme: light diagrams, dark ink.
  await expect(page.locator('.diagram .diagram-light').first()).toBeVisible();
  await expect(page.locator('.diagram .diagram-dark').first()).toBeHidden();
  const ink = await page
    .locator('pre.astro-code span')
    .first()
    .evaluate((span) => getComputedStyle(span).color);
  expect(ink).toBe('rgb(31, 35, 40)');
});
