import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { LAB_TECHNIQUES } from '../../src/protocol/lab.ts';
import { INTERVAL_STEPS, RATE_STEPS } from '../../src/widgets/lab/settings.ts';
import { screenshot } from './screenshot.ts';

/** Sets the lab's sliders by their steps: 50 a second, polling every 500 ms. */
async function setFastRun(lab: Locator): Promise<void> {
  await lab.getByRole('slider', { name: 'Event rate' }).fill(String(RATE_STEPS.findIndex((step) => step.short === '50/s')));
  await lab.getByRole('slider', { name: 'Polling interval' }).fill(String(INTERVAL_STEPS.indexOf(500)));
  await expect(lab.getByRole('slider', { name: 'Event rate' })).toHaveAttribute('aria-valuetext', '50 per second');
  await expect(lab.getByRole('slider', { name: 'Polling interval' })).toHaveAttribute('aria-valuetext', '500 ms');
}

/** The number a figure shows (`12`, `3.4 kB` → 3.4, `<1 ms` → 0.5), NaN for `–`. */
async function figure(lab: Locator, lane: string, name: string): Promise<number> {
  const text = (await lab.locator(`[data-lane="${lane}"] [data-figure="${name}"] .lab-value`).textContent()) ?? '';
  if (text.startsWith('<')) return 0.5;
  return Number.parseFloat(text);
}

async function openLab(page: Page): Promise<Locator> {
  await page.goto('/lessons/side-by-side/');
  const lab = page.locator('[data-widget="side-by-side"]');
  await lab.scrollIntoViewIfNeeded();
  // Hydrated: the settings are enabled.
  await expect(lab.getByRole('button', { name: 'Start' })).toBeEnabled();
  return lab;
}

test('the lab runs all five lanes at once and shows numbers for each, then a table to copy', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const lab = await openLab(page);
  await setFastRun(lab);
  await lab.getByRole('button', { name: 'Start' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Running: 50 per second', { timeout: 15_000 });

  await page.waitForTimeout(5_000);
  for (const lane of LAB_TECHNIQUES) {
    await expect.poll(() => figure(lab, lane, 'latency-median'), { message: `${lane} has a latency` }).toBeGreaterThan(0);
    expect(await figure(lab, lane, 'requests'), `${lane} requests`).toBeGreaterThan(0);
    expect(await figure(lab, lane, 'bytes-down'), `${lane} bytes down`).toBeGreaterThan(0);
    expect(await figure(lab, lane, 'bytes-up'), `${lane} bytes up`).toBeGreaterThan(0);
    expect(await figure(lab, lane, 'received'), `${lane} events`).toBeGreaterThan(0);
  }
  // The streams hold their connection; at 50 events a second, long polling asks far more often than the pollers.
  expect(await figure(lab, 'sse', 'connections')).toBe(1);
  expect(await figure(lab, 'websocket', 'connections')).toBe(1);
  expect(await figure(lab, 'sse', 'requests')).toBe(1);
  expect(await figure(lab, 'long-polling', 'requests')).toBeGreaterThan(await figure(lab, 'short-polling', 'requests'));

  await lab.getByRole('button', { name: 'Stop' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Done', { timeout: 15_000 });
  // Away from the cursor, each chart's legend shows every line's latest value, never a dash.
  await page.mouse.move(0, 0);
  const legendValues = lab.locator('.u-legend .u-series:not(:first-child) .u-value');
  await expect(legendValues.first()).toBeVisible();
  for (const value of await legendValues.allTextContents()) expect(value).toMatch(/\d/);
  const table = lab.getByRole('region', { name: 'Summary table, scrolls sideways' }).getByRole('table');
  await expect(table.locator('tbody tr')).toHaveCount(5);
  await expect(table.locator('tbody tr').first().locator('th')).toHaveText('Short polling');
  await expect(lab.getByRole('region', { name: 'What your numbers say' }).getByRole('listitem').first()).toContainText(
    'At 50 per second, short polling every 500 ms sent',
  );

  await lab.getByRole('button', { name: 'Copy table' }).click();
  await expect(lab.getByText(/^Copied/)).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain('| Technique | Events received | Latency median |');
  expect(copied.split('\n').filter((line) => line.startsWith('|')).length, 'header, separator and 5 rows').toBe(7);

  await screenshot(page, 'side-by-side-desktop-light');
});

test('dropping every connection: each lane recovers and the streams lose nothing', async ({ page }) => {
  const lab = await openLab(page);
  await lab.getByRole('slider', { name: 'Event rate' }).fill(String(RATE_STEPS.findIndex((step) => step.short === '5/s')));
  await lab.getByRole('slider', { name: 'Polling interval' }).fill(String(INTERVAL_STEPS.indexOf(1_000)));
  await lab.getByRole('button', { name: 'Start' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Running', { timeout: 15_000 });
  await page.waitForTimeout(2_000);
  await lab.getByRole('button', { name: 'Drop every connection' }).click();
  await expect(lab.getByText(/The server cut \d+ connections?/)).toBeVisible();
  // SSE comes back after its retry delay (2 s) with Last-Event-ID; the socket after a jittered backoff.
  await expect.poll(() => figure(lab, 'sse', 'requests'), { timeout: 10_000 }).toBe(2);
  await expect.poll(() => figure(lab, 'websocket', 'requests'), { timeout: 10_000 }).toBe(2);
  await page.waitForTimeout(2_000);
  await lab.getByRole('button', { name: 'Stop' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Done', { timeout: 15_000 });
  const published = await lab.locator('[data-published]').getAttribute('data-published');
  for (const lane of ['long-polling', 'sse', 'websocket']) {
    await expect(lab.locator(`tr[data-row="${lane}"] td`).first()).toHaveText(`${published} of ${published}`);
  }
});

test('on a 360 px phone in dark mode, the lanes stack and nothing overflows', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, colorScheme: 'dark' });
  const page = await context.newPage();
  const lab = await openLab(page);
  await setFastRun(lab);
  await lab.getByRole('button', { name: 'Start' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Running', { timeout: 15_000 });
  await page.waitForTimeout(3_000);
  await lab.getByRole('button', { name: 'Stop' }).click();
  await expect(lab.locator('.lab-status')).toContainText('Done', { timeout: 15_000 });

  const boxes = await Promise.all(LAB_TECHNIQUES.map((lane) => lab.locator(`[data-lane="${lane}"]`).boundingBox()));
  for (let index = 1; index < boxes.length; index++) {
    expect(boxes[index]!.y, 'each lane below the previous one').toBeGreaterThan(boxes[index - 1]!.y);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'the page is wider than the phone').toBeLessThanOrEqual(0);
  // The table scrolls inside its own box.
  const scroller = lab.getByRole('region', { name: 'Summary table, scrolls sideways' });
  expect(await scroller.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
  await screenshot(page, 'side-by-side-phone-dark');
  await context.close();
});
