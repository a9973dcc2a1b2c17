import { expect, test } from './fixtures.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/lessons/server-sent-events/');
  await page.locator('[data-widget="sse"]').scrollIntoViewIfNeeded();
});

test('a build streams to the end; killing the connection loses and repeats nothing', async ({ page }) => {
  const widget = page.locator('[data-widget="sse"]');
  await widget.getByRole('button', { name: 'Start build' }).click();
  await expect(widget.locator('[data-build-state]')).toHaveAttribute('data-build-state', 'running');
  await expect(widget.locator('[data-stat="events"] [data-value]')).not.toHaveText('0');

  await widget.getByRole('button', { name: 'Kill the connection' }).click();
  // The browser reconnects by itself and says which Last-Event-ID it sent.
  await expect(widget.locator('[data-last-reconnect]')).toContainText('Last-Event-ID', { timeout: 15_000 });
  await expect(widget.locator('[data-stat="reconnects"] [data-value]')).not.toHaveText('0');

  await expect(widget.locator('[data-build-state]')).toHaveAttribute('data-build-state', /passed|failed/, {
    timeout: 45_000,
  });
  await expect(widget.locator('[data-verification]')).toContainText('missing 0 · repeated 0');
  await expect(widget.getByText('Exercise complete ✓')).toBeVisible();
  // The wire view shows the raw fields and the server's resume comment.
  await expect(widget.getByText(/resuming after Last-Event-ID \d+/).first()).toBeVisible();
});

test('restarting the stream server-side and changing retry both recover', async ({ page }) => {
  const widget = page.locator('[data-widget="sse"]');
  await widget.getByRole('button', { name: 'Start build' }).click();
  await widget.getByRole('combobox', { name: 'Reconnect delay (retry)' }).selectOption({ index: 0 });
  await widget.getByRole('button', { name: 'Restart the stream' }).click();
  await expect(widget.locator('[data-stat="reconnects"] [data-value]')).not.toHaveText('0', { timeout: 15_000 });
  await expect(widget.locator('[data-build-state]')).toHaveAttribute('data-build-state', /passed|failed/, {
    timeout: 45_000,
  });
  await expect(widget.locator('[data-verification]')).toContainText('missing 0 · repeated 0');
});

test('heartbeats show on the wire, and can be stopped', async ({ page }) => {
  const widget = page.locator('[data-widget="sse"]');
  await widget.getByRole('button', { name: 'Start build' }).click();
  await expect(widget.locator('[data-stat="heartbeats"] [data-value]')).not.toHaveText('0', { timeout: 15_000 });
  await widget.getByRole('checkbox', { name: 'Heartbeats' }).uncheck();
  await expect(widget.getByRole('checkbox', { name: 'Heartbeats' })).not.toBeChecked();
});

test('the seventh stream to one host stalls until one of the six closes', async ({ page }) => {
  const widget = page.locator('[data-widget="sse"]');
  await page.getByRole('button', { name: 'Open 7 streams' }).click();
  const rows = page.locator('[data-stream-state]');
  await expect(rows).toHaveCount(7);
  await expect(page.locator('[data-stream-state="open"]')).toHaveCount(6, { timeout: 15_000 });
  await expect(page.locator('[data-stream-state="stalled"]')).toHaveCount(1);

  await page.getByRole('button', { name: 'Close one' }).click();
  await expect(page.locator('[data-stream-state="stalled"]')).toHaveCount(0, { timeout: 15_000 });
  await expect(page.locator('[data-stream-state="open"]')).toHaveCount(6);
  await page.getByRole('button', { name: 'Stop experiment' }).click();
  await expect(widget).toBeVisible();
});
