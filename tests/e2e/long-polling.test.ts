import { expect, test } from './fixtures.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/lessons/long-polling/');
  await page.locator('[data-widget="long-polling"]').scrollIntoViewIfNeeded();
});

test('the feed receives every notification, and survives a lost response with nothing lost or repeated', async ({ page }) => {
  const widget = page.locator('[data-widget="long-polling"]');
  const verification = widget.locator('[data-verification]');
  await widget.getByRole('button', { name: 'Start listening' }).click();

  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await widget.getByRole('button', { name: 'Send 5 at once' }).click();
  await expect(verification).toContainText('Sent 6 · received 6 · lost 0 · duplicates dropped 0');
  await expect(widget.getByRole('list', { name: 'Notifications' }).getByRole('listitem')).toHaveCount(6);

  // The server takes the next events, then drops the connection: the cursor brings them back.
  await widget.getByRole('button', { name: 'Lose the next response' }).click();
  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await expect(verification).toContainText('Sent 7 · received 7 · lost 0 · duplicates dropped 0');
  await expect(widget.locator('[data-stat="failed"] [data-value]')).not.toHaveText('0');
  await expect(widget.getByText('Exercise complete ✓')).toBeVisible();
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
});

test('server errors make the client back off with jitter, then recover', async ({ page }) => {
  const widget = page.locator('[data-widget="long-polling"]');
  await widget.getByRole('button', { name: 'Start listening' }).click();
  await widget.getByRole('button', { name: 'Cause server errors' }).click();
  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await expect(widget.getByText(/retrying in/i).first()).toBeVisible();
  await expect(widget.locator('[data-verification]')).toContainText('Sent 1 · received 1 · lost 0', {
    timeout: 30_000,
  });
});

test('on a slow network every notification still arrives', async ({ page }) => {
  const widget = page.locator('[data-widget="long-polling"]');
  await widget.getByRole('button', { name: 'Start listening' }).click();
  await widget.getByRole('checkbox', { name: 'Slow network (+2 s per answer)' }).check();
  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await expect(widget.locator('[data-verification]')).toContainText('Sent 2 · received 2 · lost 0', {
    timeout: 20_000,
  });
});

test('the bytes tile counts each answer as it came over the wire, headers included', async ({ page }) => {
  const wire: Promise<number>[] = [];
  page.on('requestfinished', (request) => {
    if (!request.url().includes('/api/long-poll/')) return;
    wire.push(request.sizes().then((sizes) => sizes.responseHeadersSize + sizes.responseBodySize));
  });
  const widget = page.locator('[data-widget="long-polling"]');
  await expect(widget.getByText('the server’s own default is 25 s')).toBeVisible();
  await widget.getByRole('slider', { name: 'Hold timeout' }).fill('2000');
  await widget.getByRole('button', { name: 'Start listening' }).click();
  await widget.getByRole('button', { name: 'Send a notification' }).click();
  await expect(widget.locator('[data-verification]')).toContainText('Sent 1 · received 1 · lost 0');
  // A 204 too: a hold that ran out with nothing new costs its headers.
  await expect(widget.locator('[data-stat="timeouts"] [data-value]')).not.toHaveText('0', { timeout: 10_000 });
  await widget.getByRole('button', { name: 'Stop listening' }).click();

  const bytesTile = widget.locator('[data-stat="bytes"]');
  await expect(bytesTile).toContainText('status lines and headers');
  const onTheWire = (await Promise.all(wire)).reduce((sum, size) => sum + size, 0);
  expect(onTheWire).toBeGreaterThan(0);
  expect(Number(await bytesTile.locator('[data-value]').getAttribute('data-value'))).toBe(onTheWire);
});
