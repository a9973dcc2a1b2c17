import { expect, test } from './fixtures.ts';

test('a new reader goes from the home page to lesson 2, runs the poller to the end and completes the lesson', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('How servers push fresh data to browsers');
  await expect(page.getByRole('progressbar', { name: 'Course progress' })).toHaveAttribute('aria-valuenow', '0');

  await page.getByRole('link', { name: '2. Short polling' }).first().click();
  await expect(page).toHaveURL(/\/lessons\/short-polling\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Short polling' })).toBeVisible();

  // The page shows the real handler, imported from the server's source, and a minimal pair that runs in the tests.
  await expect(page.locator('figure.source-region', { hasText: 'server/techniques/short-polling.ts' }).first()).toBeAttached();
  await expect(page.locator('figure.source-region', { hasText: 'content/samples/short-polling/server.ts' })).toBeAttached();
  // Diagrams arrive as SVG, with no mermaid code in the page.
  await expect(page.locator('figure.diagram svg').first()).toBeAttached();

  const widget = page.locator('[data-widget="short-polling"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('checkbox', { name: 'Use ETag (If-None-Match)' }).check();
  await widget.getByRole('slider', { name: 'Polling interval' }).fill('500');
  await widget.getByRole('button', { name: 'Start job' }).click();
  await widget.getByRole('button', { name: 'Publish a change' }).click();

  await expect(widget.locator('[data-job-state]')).toHaveAttribute('data-job-state', 'succeeded', { timeout: 45_000 });
  await expect(widget.getByText('Polling stopped: the job succeeded')).toBeVisible();
  const notModified = Number(await widget.locator('[data-stat="not-modified"] [data-value]').textContent());
  expect(notModified).toBeGreaterThan(0);

  await page.getByRole('button', { name: 'Mark complete' }).click();
  await page.reload();
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Complete\s*2\. Short polling/ })).toBeVisible();

  await page.goto('/');
  await expect(page.getByRole('progressbar', { name: 'Course progress' })).not.toHaveAttribute('aria-valuenow', '0');
  await expect(page.getByRole('link', { name: 'Continue: Short polling' })).toBeVisible();
});

test('the exercise checks a run and completes the lesson when the poller is fast and cheap', async ({ page }) => {
  await page.goto('/lessons/short-polling/');
  const widget = page.locator('[data-widget="short-polling"]');
  // The widget wakes up (hydrates) when the reader scrolls to it.
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('checkbox', { name: 'Use ETag (If-None-Match)' }).check();
  await widget.getByRole('slider', { name: 'Polling interval' }).fill('250');
  await widget.getByRole('button', { name: 'Start job' }).click();

  await expect(widget.getByText('Exercise complete ✓')).toBeVisible({ timeout: 45_000 });
  // Finishing the exercise completes the lesson: the button and the sidebar say so.
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Complete\s*2\. Short polling/ })).toBeVisible();
});

test('the bytes tile counts each answer as it came over the wire, and staleness is shown apart for job steps and your changes', async ({
  page,
}) => {
  // What Chromium itself saw of each poll's response: header bytes and body bytes on the wire.
  const wire: Promise<number>[] = [];
  page.on('requestfinished', (request) => {
    if (request.method() !== 'GET' || !/\/api\/jobs\/[^/]+$/.test(request.url())) return;
    wire.push(request.sizes().then((sizes) => sizes.responseHeadersSize + sizes.responseBodySize));
  });
  await page.goto('/lessons/short-polling/');
  const widget = page.locator('[data-widget="short-polling"]');
  await widget.scrollIntoViewIfNeeded();
  // Without ETag: Playwright reports no finished request for a 304, so only 200s can be summed here.
  await widget.getByRole('slider', { name: 'Polling interval' }).fill('500');
  const noteTile = widget.locator('[data-stat="note-staleness"]');
  await expect(noteTile).toContainText('half the interval is 250 ms');
  await widget.getByRole('button', { name: 'Start job' }).click();
  await widget.getByRole('button', { name: 'Publish a change' }).click();
  await expect(widget.locator('[data-job-state]')).toHaveAttribute('data-job-state', 'succeeded', { timeout: 45_000 });

  // Your change, seen by a poll: its staleness has its own tile, next to half the interval.
  await expect(noteTile).toContainText('average of 1; half the interval is 250 ms');
  expect(Number(await noteTile.locator('[data-value]').getAttribute('data-value'))).toBeGreaterThanOrEqual(0);
  await expect(widget.locator('[data-stat="step-staleness"]')).toContainText('A step every 2 s');
  expect(Number(await widget.locator('[data-stat="step-staleness"] [data-value]').getAttribute('data-value'))).toBeGreaterThanOrEqual(0);

  // Every byte the browser received for the polls, headers included, and nothing more.
  const bytesTile = widget.locator('[data-stat="bytes"]');
  await expect(bytesTile).toContainText('status line and headers');
  const onTheWire = (await Promise.all(wire)).reduce((sum, size) => sum + size, 0);
  expect(onTheWire).toBeGreaterThan(0);
  expect(Number(await bytesTile.locator('[data-value]').getAttribute('data-value'))).toBe(onTheWire);
});
