import type { APIRequestContext, Locator } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

type StormDoneEvent = { id: number; type: string; data: { aborted?: string }; ts: number };

/**
 * The channel's latest `storm-done` event, if any: read page by page, since one
 * long-poll answer holds at most `LONG_POLL_LIMITS.maxEvents`.
 */
async function stormDone(request: APIRequestContext, channel: string): Promise<StormDoneEvent | undefined> {
  let cursor = 0;
  let latest: StormDoneEvent | undefined;
  for (;;) {
    const answer = await request.get(`/api/long-poll/${channel}?cursor=${cursor}&timeout=1000`);
    if (answer.status() !== 200) return latest;
    const page = (await answer.json()) as { events: StormDoneEvent[]; cursor: number };
    if (page.events.length === 0) return latest;
    latest = page.events.findLast((event) => event.type === 'storm-done') ?? latest;
    cursor = page.cursor;
  }
}

test.beforeEach(async ({ page }) => {
  await page.goto('/lessons/in-production/');
});

/** The peak the widget printed for `strategy`, once its storm is over. */
async function peakOf(widget: Locator, strategy: string): Promise<number> {
  const row = widget.locator(`[data-strategy="${strategy}"]`);
  await expect(row).toHaveAttribute('data-done', 'true', { timeout: 40_000 });
  return Number(await row.locator('[data-peak]').getAttribute('data-peak'));
}

test('the storm chart shows a lower peak with full jitter than with no backoff', async ({ page }) => {
  test.setTimeout(120_000);
  const widget = page.locator('[data-widget="reconnect-storm"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('combobox', { name: 'Clients' }).selectOption('50');
  const restart = widget.getByRole('button', { name: 'Restart the fleet' });
  const peaks: Record<string, number> = {};
  for (const [strategy, label] of [
    ['none', 'No backoff'],
    ['exponential', 'Exponential backoff'],
    ['full-jitter', 'Full jitter'],
  ] as const) {
    await widget.getByRole('radio', { name: label }).check();
    await expect(restart).toBeEnabled();
    await restart.click();
    peaks[strategy] = await peakOf(widget, strategy);
  }
  // Counts of attempts the server saw, not timings: no backoff hammers the restart, jitter spreads it.
  expect(peaks['full-jitter']).toBeGreaterThan(0);
  expect(peaks['full-jitter']).toBeLessThan(peaks.none!);
  expect(peaks['full-jitter']).toBeLessThan(peaks.exponential!);
  await expect(widget.locator('.prod-chart canvas').first()).toBeVisible();
  console.log(`storm peaks with 50 clients: ${JSON.stringify(peaks)}`);
  await screenshot(page, 'in-production-storm');
});

test('the idle hop cuts a silent stream, and heartbeats below its limit keep one open', async ({ page }) => {
  test.setTimeout(60_000);
  const widget = page.locator('[data-widget="idle-hop"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('combobox', { name: "Hop's idle limit" }).selectOption('3000');
  await widget.getByRole('checkbox', { name: 'Heartbeats' }).uncheck();
  await widget.getByRole('button', { name: 'Open stream through the hop' }).click();
  await expect(widget).toHaveAttribute('data-hop-state', 'open');
  await expect(widget).toHaveAttribute('data-hop-cuts', '1', { timeout: 10_000 });
  await expect(widget.getByText(/Cut by the hop after [\d.]+ s of silence \(its limit: 3 s\)/)).toBeVisible();
  // The widget reconnects after `retry`, as EventSource would.
  await expect(widget).toHaveAttribute('data-hop-state', 'open', { timeout: 5_000 });

  // Heartbeats every second through a 3 s hop: the stream lives on.
  await widget.getByRole('checkbox', { name: 'Heartbeats' }).check();
  await widget.getByRole('combobox', { name: 'Heartbeat every' }).selectOption('1000');
  await expect(widget).toHaveAttribute('data-hop-state', 'open');
  const cuts = await widget.getAttribute('data-hop-cuts');
  await page.waitForTimeout(4_500); // longer than the hop's limit: a bounded wait, not a timing assertion
  await expect(widget).toHaveAttribute('data-hop-cuts', cuts!);
  await expect(widget).toHaveAttribute('data-hop-state', 'open');
  await expect(widget.locator('[data-stat="heartbeats"] [data-value]')).not.toHaveText('0');
  await widget.getByRole('button', { name: 'Close the stream' }).click();
  await expect(widget).toHaveAttribute('data-hop-state', 'closed');
});

test('a slow consumer is cut at the cap and resumes from its cursor', async ({ page }) => {
  test.setTimeout(60_000);
  const widget = page.locator('[data-widget="slow-consumer"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('radio', { name: 'Server-Sent Events' }).check();
  await widget.getByRole('combobox', { name: 'The consumer reads' }).selectOption('0');
  await widget.getByRole('button', { name: 'Start the firehose' }).click();
  await expect(widget).toHaveAttribute('data-state', 'running');
  await expect(widget.locator('[data-outcome="cut"]')).toContainText('destroyed the stream', { timeout: 30_000 });
  await expect(widget).toHaveAttribute('data-state', 'done', { timeout: 20_000 });
  await expect(widget.locator('[data-outcome="reset"], [data-outcome="replay"]')).toContainText('reconnected from its cursor');
});

/**
 * Hides or shows the page for the widget. Playwright cannot hide a tab, so
 * the test fakes the Page Visibility API: it overrides `visibilityState` and
 * `hidden` and dispatches `visibilitychange`, as the browser would.
 */
async function fakeVisibility(page: import('@playwright/test').Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => next === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

test('a hidden tab stops polling and catches up by cursor when it is shown again', async ({ page }) => {
  test.setTimeout(60_000);
  const widget = page.locator('[data-widget="background-tabs"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('button', { name: 'Start the feed' }).click();
  await expect(widget.locator('[data-stat="received"] [data-value]')).not.toHaveText('0', { timeout: 15_000 });

  await fakeVisibility(page, 'hidden');
  await expect(widget).toHaveAttribute('data-visibility', 'hidden');
  await expect(widget.getByText(/the long poll is aborted/)).toBeVisible();
  await page.waitForTimeout(6_000); // the build publishes an event every 2 s or so meanwhile
  await fakeVisibility(page, 'visible');

  await expect(widget).toHaveAttribute('data-visibility', 'visible');
  await expect(widget.getByText(/Caught up: \d+ events? missed while hidden, in one request/)).toBeVisible({ timeout: 10_000 });
  await expect(widget.locator('[data-stat="caught-up"] [data-value]')).not.toHaveText('0');
  await expect(widget.locator('[data-stat="polls-hidden"] [data-value]')).toHaveText('0');
  await widget.getByRole('button', { name: 'Stop the feed' }).click();
});

test('draining a channel tells each client to come back later, and the fleet comes back', async ({ page }) => {
  test.setTimeout(60_000);
  const widget = page.locator('[data-widget="graceful-restart"]');
  await widget.scrollIntoViewIfNeeded();
  await widget.getByRole('combobox', { name: 'Simulated EventSource clients' }).selectOption('50');
  await widget.getByRole('button', { name: 'Drain this channel' }).click();
  const row = (kind: string) => widget.locator(`[data-client="${kind}"]`);
  await expect(row('sse').locator('[data-told]')).toContainText('retry: 2000', { timeout: 15_000 });
  await expect(row('websocket').locator('[data-told]')).toContainText('1012');
  await expect(row('long-poll').locator('[data-told]')).toContainText('503 with Retry-After: 2');
  await expect(widget.locator('[data-mode="same"]')).toHaveAttribute('data-done', 'true', { timeout: 30_000 });
  for (const kind of ['sse', 'websocket', 'long-poll']) {
    await expect(row(kind)).toHaveAttribute('data-state', 'open', { timeout: 10_000 });
  }
  expect(Number(await widget.locator('[data-mode="same"] [data-peak]').getAttribute('data-peak'))).toBeGreaterThan(0);
  await widget.getByRole('button', { name: "Disconnect the page's clients" }).click();
});

test('the lesson reads well on a 360 px phone in dark mode and on a desktop in light mode', async ({ browser }) => {
  test.setTimeout(120_000); // two full-page screenshots of a long page: slow on a loaded machine
  for (const [name, viewport, colorScheme] of [
    ['phone-dark', { width: 360, height: 780 }, 'dark'],
    ['desktop-light', { width: 1366, height: 900 }, 'light'],
  ] as const) {
    const context = await browser.newContext({ viewport, colorScheme });
    const page = await context.newPage();
    await page.goto('/lessons/in-production/');
    for (const widget of ['reconnect-storm', 'idle-hop', 'slow-consumer', 'background-tabs', 'graceful-restart']) {
      await page.locator(`[data-widget="${widget}"]`).scrollIntoViewIfNeeded();
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `the page is wider than the ${name} viewport`).toBeLessThanOrEqual(0);
    await screenshot(page, `in-production-${name}`);
    await context.close();
  }
});

test.describe('the storm widget never leaves a reader guessing', () => {
  /** Starts a small storm on a channel of its own, as another reader's page would; returns its id. */
  async function otherReadersStorm(request: import('@playwright/test').APIRequestContext, channel: string): Promise<string> {
    const response = await request.post('/api/production/storms', { data: { channel, strategy: 'full-jitter', clients: 10 } });
    expect(response.status(), await response.text()).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  test('says it is still loading until its script has run, and runs a press made meanwhile', async ({ page, request }) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/_astro\/StormSimulator[^/]*\.js$/, async (route) => {
      await released;
      await route.continue();
    });
    await page.reload();
    const widget = page.locator('[data-widget="reconnect-storm"]');
    await widget.scrollIntoViewIfNeeded();
    await expect(widget.locator('[data-controls-note="loading"]')).toHaveText(/Still loading/);
    // Usable from the first paint (issue 13): client:reachable holds the press and replays it once the script has run.
    const restart = widget.getByRole('button', { name: 'Restart the fleet' });
    await expect(restart).toBeEnabled();
    await restart.click();
    release();
    await expect(widget.locator('[data-controls-note="loading"]')).toHaveCount(0);
    await expect(widget.locator('[data-controls-note="busy"]')).toContainText('free up when');
    // Give the slot back before the next tests fill every slot: a reload stops the run (pagehide).
    const channel = await page.evaluate(() => Object.entries(sessionStorage).find(([key]) => key.startsWith('rtw:production-storm:'))?.[1]);
    await page.reload();
    await expect.poll(async () => (await stormDone(request, channel!)) !== undefined, { timeout: 30_000 }).toBe(true);
  });

  test('a reload mid-storm gives the run back: the controls work at once, and the slot is free', async ({ page, request }) => {
    test.setTimeout(180_000);
    const widget = page.locator('[data-widget="reconnect-storm"]');
    // A 200-client full-jitter storm runs for about 10 s, since its last client comes back late. Yet in headless
    // Chromium about half of the reloads made here never deliver the widget's keepalive DELETE to the server (why
    // is not found yet: the stop note of 7 Dec says what was tried), and then the storm ends on its own. So the
    // test tries again, and passes only once it has seen a reload stop a running storm.
    let previous: StormDoneEvent | undefined;
    let aborted: string | undefined;
    for (let attempt = 1; attempt <= 5 && aborted === undefined; attempt += 1) {
      await widget.scrollIntoViewIfNeeded();
      await widget.getByRole('combobox', { name: 'Clients' }).selectOption('200');
      await widget.getByRole('radio', { name: 'Full jitter' }).check();
      await widget.getByRole('button', { name: 'Restart the fleet' }).click();
      await expect(widget).toHaveAttribute('data-phase', 'running', { timeout: 15_000 });
      await expect(widget.locator('[data-controls-note="busy"]')).toContainText('free up when');
      await expect(widget).toContainText('clients back after');

      await page.reload();
      // The page's pagehide sent DELETE with keepalive (Playwright doesn't report keepalive requests of a page
      // that is going away; the server does): the storm ended at once, saying why, on the widget's channel.
      const channel = await page.evaluate(
        () => Object.entries(sessionStorage).find(([key]) => key.startsWith('rtw:production-storm:'))?.[1],
      );
      expect(channel).toMatch(/^prod-/);
      let done: StormDoneEvent | undefined;
      await expect
        .poll(
          async () => {
            done = await stormDone(request, channel!);
            return done !== undefined && done.id !== previous?.id;
          },
          { timeout: 30_000 },
        )
        .toBe(true);
      previous = done;
      aborted = done!.data.aborted;
      if (aborted === undefined)
        console.log(
          `attempt ${attempt}: the storm ended on its own before the page left (${JSON.stringify({ ...done!.data, bins: undefined })}); trying again`,
        );
    }
    expect(aborted).toBe('the reader left the page');
    await widget.scrollIntoViewIfNeeded();
    // No waiting for the old storm: usable as soon as the script has run.
    await expect(widget.getByRole('button', { name: 'Restart the fleet' })).toBeEnabled();
    await expect(widget.getByRole('combobox', { name: 'Clients' })).toBeEnabled();
    await expect(widget.locator('[data-controls-note]')).toHaveCount(0);
    // The old storm's slot is free: other readers can fill every slot.
    const others = [];
    for (let index = 0; index < 3; index += 1) others.push(await otherReadersStorm(request, `e2e-reload-${index}-${Date.now()}`));
    for (const id of others) await request.delete(`/api/production/experiments/${id}`);

    // And starting again right away works (a run still on the channel would be taken over).
    await widget.getByRole('combobox', { name: 'Clients' }).selectOption('50');
    await widget.getByRole('radio', { name: 'Exponential backoff' }).check();
    await widget.getByRole('button', { name: 'Restart the fleet' }).click();
    await expect(widget).toHaveAttribute('data-phase', 'running', { timeout: 15_000 });
    await expect(widget.locator('[data-strategy="exponential"]')).toHaveAttribute('data-done', 'true', { timeout: 40_000 });
    await expect(widget.getByRole('alert')).toHaveCount(0);
  });

  test('with every experiment slot taken by other readers, it says so and counts down to when one frees up', async ({ page, request }) => {
    test.setTimeout(60_000);
    const widget = page.locator('[data-widget="reconnect-storm"]');
    await widget.scrollIntoViewIfNeeded();
    const restart = widget.getByRole('button', { name: 'Restart the fleet' });
    await expect(restart).toBeEnabled();
    // Other readers take every slot, just before this reader presses the button (their storms last a few seconds).
    const others = [];
    for (let index = 0; index < 3; index += 1) others.push(await otherReadersStorm(request, `e2e-full-${index}-${Date.now()}`));
    try {
      await restart.click();
      const note = widget.locator('[data-controls-note="server-full"]');
      await expect(note).toContainText(
        /at most 3 experiments at once, and other readers are using them all\. You can start again in \d+ s\./,
      );
      await expect(restart).toBeDisabled();
      const seconds = () => note.textContent().then((text) => Number(/again in (\d+) s/.exec(text ?? '')![1]));
      const first = await seconds();
      await expect.poll(seconds, { timeout: 5_000 }).toBeLessThan(first);
      await screenshot(page, 'in-production-storm-server-full', { fullPage: false });
    } finally {
      for (const id of others) await request.delete(`/api/production/experiments/${id}`);
    }
  });

  test('a full-jitter storm of 100 shows figures within the ranges the lesson gives', async ({ page }) => {
    test.setTimeout(90_000);
    const widget = page.locator('[data-widget="reconnect-storm"]');
    await widget.scrollIntoViewIfNeeded();
    await widget.getByRole('combobox', { name: 'Clients' }).selectOption('100');
    await widget.getByRole('radio', { name: 'Full jitter' }).check();
    await widget.getByRole('button', { name: 'Restart the fleet' }).click();
    const row = widget.locator('[data-strategy="full-jitter"]');
    await expect(row).toHaveAttribute('data-done', 'true', { timeout: 40_000 });
    const cells = row.locator('td');
    const peak = Number(await cells.nth(1).textContent());
    const attempts = Number(await cells.nth(2).textContent());
    // The lesson: 16–23 per 100 ms and 280–301 attempts in 9 runs out of 10 (its model's 1,000 seeded fleets
    // range over 14–31 and 264–311). Both depend on timers: a loaded machine fires the fleet's timers late
    // (fewer attempts fall in the outage: 246 seen at a load average of 26) and bunches attempts into fewer
    // bins (a peak of 52 seen at 32), as the lesson warns. So: more attempts than exponential backoff's 200,
    // fewer than a fleet that reconnects after being back (380–560), and a peak well below the whole fleet.
    await expect(
      page.getByText('a peak of 16–23 attempts per 100 ms, 280–301 attempts in all, and everyone back after 8–9.8 s'),
    ).toBeVisible();
    await expect(page.getByText('On a busy machine the server answers attempts late and in bursts')).toBeVisible();
    expect(peak).toBeGreaterThanOrEqual(10);
    expect(peak).toBeLessThan(80);
    expect(attempts).toBeGreaterThan(200);
    expect(attempts).toBeLessThanOrEqual(330);
    // Every client came back (a time, not "n of 100 back"), after the 2 s outage.
    await expect(cells.nth(3)).toHaveText(/^\d+(\.\d+)? s$/);
    await expect(widget.locator('.widget-status')).toContainText('every client back after');
    console.log(`full jitter, 100 clients: peak ${peak}, ${attempts} attempts, all back after ${await cells.nth(3).textContent()}`);
    await screenshot(page, 'in-production-storm-full-jitter', { fullPage: false });
  });
});
