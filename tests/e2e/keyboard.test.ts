import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

// The test that holds a widget's code back intercepts requests; a service worker would answer them instead.
test.use({ serviceWorkers: 'block' });

/**
 * Presses Tab (and nothing else) from wherever focus is until it enters `widget`, and
 * returns the element it landed on. Presses go in batches (each round trip to the browser
 * is slow); a listener holds focus where it first entered the widget, so a batch never
 * overshoots, and lets go before returning.
 */
async function tabInto(page: Page, widget: Locator, limit = 600): Promise<Locator> {
  await widget.evaluate((root) => {
    let entered: Element | null = null;
    const hold = (event: KeyboardEvent) => {
      if (event.key === 'Tab' && entered) event.preventDefault();
    };
    root.addEventListener('focusin', (event) => {
      if (entered) return;
      entered = event.target as Element;
      entered.setAttribute('data-tabbed-into', '');
    });
    window.addEventListener('keydown', hold, true);
    Object.assign(window, { letTabGo: () => window.removeEventListener('keydown', hold, true) });
  });
  const landed = widget.locator('[data-tabbed-into]');
  for (let presses = 0; presses < limit; presses += 10) {
    for (let i = 0; i < 10; i++) await page.keyboard.press('Tab');
    if ((await landed.count()) > 0) {
      await page.evaluate(() => (window as unknown as { letTabGo(): void }).letTabGo());
      await expect(landed).toBeFocused();
      return landed;
    }
  }
  throw new Error(`${limit} presses of Tab never reached the widget`);
}

/** Presses Tab until `control` has focus, failing if focus leaves `widget` first. */
async function tabWithin(page: Page, widget: Locator, control: Locator, limit = 40): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    if (await control.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
    expect(await widget.evaluate((root) => root.contains(document.activeElement)), 'focus left the widget').toBe(true);
  }
  throw new Error(`${limit} presses of Tab never reached the control`);
}

interface WidgetCase {
  lesson: string;
  widget: string;
  /** The first control Tab reaches in the widget. */
  first: (widget: Locator) => Locator;
  /** The button that runs the widget, reached by Tab after the first control. */
  run: string;
  /** What pressing Enter on it visibly does. */
  ran: (widget: Locator) => Promise<void>;
}

const leaves = (attribute: string, value: string) => (widget: Locator) =>
  expect(widget).not.toHaveAttribute(attribute, value, { timeout: 15_000 });

const cases: WidgetCase[] = [
  {
    lesson: 'short-polling',
    widget: 'short-polling',
    first: (w) => w.getByRole('button', { name: 'Start job' }),
    run: 'Start job',
    ran: (w) => expect(w).toHaveAttribute('data-phase', 'polling', { timeout: 15_000 }),
  },
  {
    lesson: 'long-polling',
    widget: 'long-polling',
    first: (w) => w.getByRole('button', { name: 'Start listening' }),
    run: 'Start listening',
    ran: (w) => expect(w.getByRole('button', { name: 'Stop listening' })).toBeEnabled({ timeout: 15_000 }),
  },
  {
    lesson: 'server-sent-events',
    widget: 'sse',
    first: (w) => w.getByRole('button', { name: 'Start build' }),
    run: 'Start build',
    ran: leaves('data-connection-state', 'idle'),
  },
  {
    lesson: 'side-by-side',
    widget: 'side-by-side',
    first: (w) => w.getByRole('slider', { name: 'Event rate' }),
    run: 'Start',
    ran: leaves('data-phase', 'idle'),
  },
  {
    lesson: 'in-production',
    widget: 'reconnect-storm',
    first: (w) => w.getByRole('combobox', { name: 'Clients' }),
    run: 'Restart the fleet',
    ran: leaves('data-phase', 'idle'),
  },
  {
    lesson: 'in-production',
    widget: 'idle-hop',
    first: (w) => w.getByRole('combobox', { name: "Hop's idle limit" }),
    run: 'Open stream through the hop',
    ran: leaves('data-hop-state', 'closed'),
  },
  {
    lesson: 'in-production',
    widget: 'slow-consumer',
    first: (w) => w.getByRole('radio', { name: 'Server-Sent Events' }),
    run: 'Start the firehose',
    ran: leaves('data-state', 'idle'),
  },
  {
    lesson: 'in-production',
    widget: 'background-tabs',
    first: (w) => w.getByRole('checkbox', { name: 'Pause while hidden' }),
    run: 'Start the feed',
    ran: (w) => expect(w).toHaveAttribute('data-running', 'true', { timeout: 15_000 }),
  },
  {
    lesson: 'in-production',
    widget: 'graceful-restart',
    first: (w) => w.getByRole('combobox', { name: 'Simulated EventSource clients' }),
    run: 'Drain this channel',
    ran: leaves('data-phase', 'idle'),
  },
  {
    lesson: 'scaling-out',
    widget: 'scaling',
    first: (w) => w.getByRole('radio', { name: /^Redis/ }),
    run: 'Start instances A and B',
    ran: leaves('data-phase', 'idle'),
  },
  {
    lesson: 'choosing',
    widget: 'decision-tree',
    first: (w) => w.getByRole('button', { name: 'Yes, often and fast' }),
    run: 'Yes, often and fast',
    ran: leaves('data-node', 'two-way'),
  },
  {
    lesson: 'choosing',
    widget: 'scenario-quiz',
    first: (w) => w.getByRole('button', { name: 'Short polling' }),
    run: 'Short polling',
    ran: leaves('data-phase', 'question'),
  },
];

for (const { lesson, widget: name, first, run, ran } of cases) {
  test(`${lesson}: Tab alone reaches the ${name} widget's first control, enabled, and Enter on "${run}" runs it`, async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`/lessons/${lesson}/`);
    const widget = page.locator(`[data-widget="${name}"]`);

    await tabInto(page, widget);
    await expect(first(widget)).toBeFocused();
    await expect(first(widget)).toBeEnabled();

    const button = widget.getByRole('button', { name: run, exact: true });
    await tabWithin(page, widget, button);
    await expect(button).toBeEnabled();
    await page.keyboard.press('Enter');
    await ran(widget);
  });
}

test('websockets: Tab alone reaches Name, then Join and Send, and Enter runs each', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/lessons/websockets/');
  const widget = page.locator('[data-widget="websocket"]');
  const pane = widget.locator('[data-pane="a"]');

  // "Restart the server side" waits for a connection: Tab passes over it (or stops first on the
  // room's invite link, once the widget has chosen a room) on its way to pane A's name.
  const landed = await tabInto(page, widget);
  await expect(landed).toBeEnabled();
  const name = pane.getByRole('textbox', { name: 'Name' });
  await tabWithin(page, widget, name);
  await expect(name).toBeEnabled();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Grace');

  await tabWithin(page, widget, pane.getByRole('button', { name: 'Join' }));
  await page.keyboard.press('Enter');
  await expect(pane.getByRole('list', { name: 'In the room' })).toContainText('Grace (you)', { timeout: 15_000 });

  const message = pane.getByRole('textbox', { name: 'Message' });
  await tabWithin(page, widget, message);
  await page.keyboard.type('Hello by keyboard');
  await page.keyboard.press('Enter');
  await expect(pane.getByText('Hello by keyboard', { exact: true })).toBeVisible();

  await page.keyboard.type('And by the Send button');
  await tabWithin(page, widget, pane.getByRole('button', { name: 'Send' }));
  await page.keyboard.press('Enter');
  await expect(pane.getByText('And by the Send button', { exact: true })).toBeVisible();
});

test('what a reader does before the widget has loaded is kept: a changed slider, a ticked box, typed text and a pressed button', async ({
  page,
}) => {
  // Hold the widget's code back until the reader has done all of it.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/ShortPollingDemo\.[\w-]+\.js$/, async (route) => {
    await released;
    await route.continue();
  });
  await page.goto('/lessons/short-polling/');
  const widget = page.locator('[data-widget="short-polling"]');
  const island = page.locator('astro-island', { has: widget });
  const interval = widget.getByRole('slider', { name: 'Polling interval' });
  const etag = widget.getByRole('checkbox', { name: 'Use ETag (If-None-Match)' });
  const note = widget.getByRole('textbox', { name: 'Note to publish' });
  const intervalBefore = await widget.locator('output').first().textContent();

  await tabInto(page, widget);
  await tabWithin(page, widget, interval);
  await page.keyboard.press('End');
  await tabWithin(page, widget, etag);
  await page.keyboard.press('Space');
  await tabWithin(page, widget, note);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Typed early');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await expect(widget.getByRole('button', { name: 'Start job' })).toBeFocused();
  await page.keyboard.press('Enter');
  // All of that happened before hydration.
  await expect(island).toHaveAttribute('ssr');
  await expect(widget).toHaveAttribute('data-phase', 'idle');

  release();
  await expect(widget).toHaveAttribute('data-phase', 'polling', { timeout: 15_000 });
  await expect(island).not.toHaveAttribute('ssr');
  // The widget re-rendered since; its model has the reader's values, so the fields keep them.
  await expect(etag).toBeChecked();
  await expect(note).toHaveValue('Typed early');
  await expect(interval).toHaveValue((await interval.getAttribute('max')) ?? '');
  await expect(widget.locator('output').first()).not.toHaveText(intervalBefore ?? '');
});

/** Each code block, table and diagram of the lesson: whether it scrolls, and whether Tab stops on it. */
function scrollBoxes(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('main :is(pre, table, figure.diagram)')]
      .filter((box) => box.getClientRects().length > 0)
      .map((box) => ({
        box: `${box.tagName.toLowerCase()}: ${(box.getAttribute('aria-label') ?? box.textContent ?? '').slice(0, 50)}`,
        scrolls: box.scrollWidth > box.clientWidth,
        tabStop: box.tabIndex === 0 && box.getAttribute('tabindex') === '0',
        named: box.matches('table, figure') || Boolean(box.getAttribute('aria-label')),
      })),
  );
}

test('code blocks, tables and diagrams are Tab stops exactly where they scroll, also after a resize', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/lessons/in-production/');
  for (const width of [1280, 360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await expect.poll(async () => (await scrollBoxes(page)).filter((box) => box.scrolls !== box.tabStop).map((box) => box.box)).toEqual([]);
    const boxes = await scrollBoxes(page);
    expect(
      boxes.some((box) => box.scrolls),
      `at ${width} px something scrolls`,
    ).toBe(true);
    if (width === 1280)
      expect(
        boxes.some((box) => !box.scrolls),
        `at ${width} px something fits`,
      ).toBe(true);
    expect(boxes.filter((box) => box.tabStop && !box.named).map((box) => box.box)).toEqual([]);
  }
});
