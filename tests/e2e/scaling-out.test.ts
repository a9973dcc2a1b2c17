import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { spawnServer } from '../harness/spawn-server.ts';
import { screenshot } from './screenshot.ts';

/**
 * Lesson 8 as a reader lives it: two real instances of the workbook's
 * server, started from the page, with and without a Redis backplane (the
 * server starts a private redis-server, which CI installs). Every test
 * stops its instances at the end: the server runs three demos at most.
 */

async function openLesson(page: Page): Promise<Locator> {
  await page.goto('/lessons/scaling-out/');
  const widget = page.locator('[data-widget="scaling"]');
  await widget.scrollIntoViewIfNeeded();
  return widget;
}

/** Starts A and B with or without the backplane, and waits until both run and the reader's stream is open. */
async function startInstances(widget: Locator, backplane: 'Redis' | 'None'): Promise<void> {
  await widget.getByRole('radio', { name: backplane === 'Redis' ? /^Redis:/ : /^None:/ }).check();
  await widget.getByRole('button', { name: /Start instances A and B|Restart both/ }).click();
  await expect(widget.getByRole('region', { name: 'Instance A' })).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
  await expect(widget.getByRole('region', { name: 'Instance B' })).toHaveAttribute('data-status', 'running');
  await expect(widget.getByRole('region', { name: 'Your EventSource' })).toHaveAttribute('data-connection', 'open', { timeout: 10_000 });
}

async function stopInstances(widget: Locator): Promise<void> {
  await widget.getByRole('button', { name: 'Stop both' }).click();
  await expect(widget).toHaveAttribute('data-phase', 'stopped');
}

function feed(widget: Locator): Locator {
  return widget.getByRole('list', { name: 'Events your EventSource received' });
}

test('without a backplane, a note published on A never reaches the stream on B', async ({ page }) => {
  test.setTimeout(60_000);
  const widget = await openLesson(page);
  await startInstances(widget, 'None');
  await expect(widget.getByText('Served by B.')).toBeVisible();

  await widget.getByRole('button', { name: 'Publish on A' }).click();
  await expect(widget.getByText('Published note #1 on A.')).toBeVisible();
  await widget.getByRole('button', { name: 'Publish on B' }).click();
  await expect(feed(widget).locator('[data-note-id="1"]')).toContainText('published on B');
  await expect(feed(widget).getByText('published on A')).toHaveCount(0);
  await expect(widget.getByText('No backplane: nothing is in Redis.')).toBeVisible();
  await expect(widget.getByRole('region', { name: 'Presence in the room' }).getByText('Ada', { exact: true })).toBeVisible();
  await stopInstances(widget);
});

test('with Redis, the note crosses to B; B dies under the stream, which resumes on A with nothing missed, and the lesson completes', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const widget = await openLesson(page);
  await startInstances(widget, 'Redis');

  await widget.getByRole('button', { name: 'Publish on A' }).click();
  await expect(feed(widget).locator('[data-note-id="1"]')).toContainText('published on A');
  await expect(widget.getByText('Note #1, published on A, reached your stream on B.')).toBeVisible();

  // Kill the instance under the stream, and publish while the browser waits its retry.
  await widget.getByRole('button', { name: 'Kill B' }).click();
  await expect(widget.getByRole('region', { name: 'Instance B' })).toHaveAttribute('data-status', 'killed');
  await widget.getByRole('button', { name: 'Publish on A' }).click();
  await expect(feed(widget).getByText(/reconnected by the browser after/)).toBeVisible({ timeout: 15_000 });
  await expect(feed(widget).locator('[data-note-id="2"]')).toBeVisible();
  await expect(
    widget.getByText(/Served by A — B is down, so the balancer sent it to A; the request carried Last-Event-ID: 1/),
  ).toBeVisible();
  await expect(widget.getByText(/came back on A with Last-Event-ID 1 and went on with #2/)).toBeVisible();
  await expect(widget.getByText('Exercise complete ✓')).toBeVisible();
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
  await screenshot(page, 'scaling-out-exercise');
  await stopInstances(widget);
});

test('a killed instance stops renewing its member: the key runs out and the member leaves the other list', async ({ page }) => {
  test.setTimeout(90_000);
  const widget = await openLesson(page);
  await startInstances(widget, 'Redis');
  const presence = widget.getByRole('region', { name: 'Presence in the room' });
  await expect(presence.locator('[data-list="b"]')).toContainText('Ada, Grace', { timeout: 15_000 });
  await expect(presence.locator('tr[data-member="Ada"][data-key-state="live"]')).toBeVisible();

  await widget.getByRole('button', { name: 'Kill A' }).click();
  // TTL 9 s, then the next re-read by B: a bounded wait, not a timing assertion.
  await expect(presence.locator('[data-list="b"]')).toHaveText(/B’s member list:\s*Grace$/, { timeout: 20_000 });
  await expect(presence.locator('tr[data-member="Ada"][data-key-state="gone"]')).toBeVisible();
  await expect(presence.locator('[data-list="a"]')).toContainText('no member connected');
  await stopInstances(widget);
});

test('reads well with two running instances, in light and dark mode, on a desktop and on a 360 px phone', async ({ browser }) => {
  test.setTimeout(120_000);
  for (const [device, viewport] of [
    ['desktop', { width: 1366, height: 900 }],
    ['phone', { width: 360, height: 780 }],
  ] as const) {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      const widget = await openLesson(page);
      await startInstances(widget, 'Redis');
      await widget.getByRole('button', { name: 'Publish on A' }).click();
      await expect(feed(widget).locator('[data-note-id="1"]')).toBeVisible();
      await expect(widget.getByRole('region', { name: 'Presence in the room' }).locator('tr[data-key-state="live"]')).toHaveCount(2, {
        timeout: 15_000,
      });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `the lesson (${device}, ${colorScheme}) is wider than the viewport`).toBeLessThanOrEqual(0);
      await widget.screenshot({ path: path.join(import.meta.dirname, 'screenshots', `scaling-out-widget-${device}-${colorScheme}.png`) });
      await screenshot(page, `scaling-out-running-${device}-${colorScheme}`);
      await stopInstances(widget);
      await context.close();
    }
  }
});

test('without Redis on the machine, the page says what is missing and how to get it, and the half without runs', async ({ page }) => {
  test.setTimeout(60_000);
  // A second workbook whose PATH holds node only: no redis-server to find.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rtw-e2e-no-redis-'));
  const server = await spawnServer({ API_ONLY: '0', PATH: path.dirname(process.execPath), REDIS_URL: '', DATA_DIR: dataDir });
  try {
    await page.goto(`${server.baseUrl}/lessons/scaling-out/`);
    const widget = page.locator('[data-widget="scaling"]');
    await widget.scrollIntoViewIfNeeded();
    await expect(widget.getByText('The backplane half cannot run here.')).toBeVisible();
    await expect(widget.getByText('sudo apt install redis-server')).toBeVisible();
    await expect(widget.getByText('brew install redis')).toBeVisible();
    await expect(widget.getByText('docker run -p 6379:6379 redis:7')).toBeVisible();
    await expect(widget.getByRole('radio', { name: /^Redis:/ })).toBeDisabled();
    await widget.screenshot({ path: path.join(import.meta.dirname, 'screenshots', 'scaling-out-no-redis.png') });
    await startInstances(widget, 'None');
    await stopInstances(widget);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
