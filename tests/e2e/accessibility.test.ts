import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import axeCore, { type AxeResults, type RunOptions } from 'axe-core';
import { expect, test } from './fixtures.ts';
import { lessonSlug } from '../../src/protocol/lesson-slug.ts';

/**
 * axe-core finds no violation on any page, in either theme, on a desktop (1280 px) and a phone (360 px),
 * before and after each lesson's widgets have started.
 *
 * It has to stay fast (it runs in CI): one browser page per theme goes through every page once and
 * checks both widths without navigating again; only the idle widgets are checked before they start;
 * only violations come back from axe. Highlighted code is a few thousand coloured spans that cost most
 * of axe's time and use the few colours of two Shiki themes: axe checks a page's code only when it
 * shows a colour (on its background) that no page before it did, and leaves the code out otherwise.
 */

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const WIDTHS = [1280, 360] as const;
const THEMES = ['light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

const LESSONS = readdirSync(path.join(import.meta.dirname, '../../content/lessons'))
  .filter((file) => file.endsWith('.mdx'))
  .sort()
  .map(lessonSlug);

/**
 * How to start each widget, and the sign that it has: what a reader would press first.
 * A widget missing here fails the test, so a new one cannot go unchecked.
 */
const STARTERS: Record<string, (widget: Locator) => Promise<void>> = {
  'freshness-exercise': async (widget) => {
    // One right answer and two wrong ones, so both kinds of check mark are on the page.
    const answers = widget.getByRole('textbox');
    await answers.nth(0).fill('3.96');
    await answers.nth(1).fill('1');
    await answers.nth(2).fill('1');
    await widget.getByRole('button', { name: 'Check answers' }).click();
    await expect(widget.getByRole('list', { name: 'Checked answers' })).toBeVisible();
  },
  'short-polling': async (widget) => {
    await widget.getByRole('button', { name: 'Start job' }).click();
    await expect(widget.getByRole('button', { name: 'Stop polling' })).toBeEnabled();
  },
  'long-polling': async (widget) => {
    await widget.getByRole('button', { name: 'Start listening' }).click();
    await expect(widget.getByRole('button', { name: 'Stop listening' })).toBeEnabled();
  },
  sse: async (widget) => {
    await widget.getByRole('button', { name: 'Start build' }).click();
    await expect(widget.locator('[data-build-state]')).toHaveAttribute('data-build-state', 'running');
  },
  websocket: async (widget) => {
    // Two chat panes, each with its name filled in: the first one joins.
    await widget.getByRole('button', { name: 'Join' }).first().click();
    await expect(widget.getByRole('list', { name: 'In the room' }).first()).toContainText('(you)');
  },
  'side-by-side': async (widget) => {
    await widget.getByRole('button', { name: 'Start' }).click();
    await expect(widget.locator('.lab-table')).toBeVisible({ timeout: 15_000 });
  },
  'reconnect-storm': async (widget) => {
    await widget.getByRole('button', { name: 'Restart the fleet' }).click();
    await expect(widget.locator('[data-peak]:not([data-peak=""])').first()).toBeAttached({ timeout: 15_000 });
  },
  'idle-hop': async (widget) => {
    await widget.getByRole('button', { name: 'Open stream through the hop' }).click();
    await expect(widget).toHaveAttribute('data-hop-state', 'open');
  },
  'slow-consumer': async (widget) => {
    await widget.getByRole('button', { name: 'Start the firehose' }).click();
    await expect(widget).toHaveAttribute('data-state', 'running');
  },
  'background-tabs': async (widget) => {
    await widget.getByRole('button', { name: 'Start the feed' }).click();
    await expect(widget.getByRole('button', { name: 'Stop the feed' })).toBeEnabled();
  },
  'graceful-restart': async (widget) => {
    await widget.getByRole('button', { name: 'Drain this channel' }).click();
    await expect(widget).not.toHaveAttribute('data-phase', 'idle');
  },
  scaling: async (widget) => {
    await widget.getByRole('button', { name: 'Start instances A and B' }).click();
    // Two real processes: on a busy machine they may miss their start timeout, which the widget
    // then says in an alert. Either way the widget has started (scaling-out.test.ts checks them run).
    await expect(widget.getByRole('region', { name: 'Instance A' }).or(widget.getByRole('alert'))).toBeVisible({ timeout: 30_000 });
  },
  'code-exercise': async (widget) => {
    // Open, with a hint and the solution's diff showing: the editor's and the diff's colours are checked too.
    await widget.getByRole('button', { name: /Write it yourself/ }).click();
    await expect(widget.getByRole('textbox', { name: /Your code/ })).toBeVisible();
    await widget.getByRole('button', { name: /Show a hint/ }).click();
    await widget.getByRole('button', { name: 'Show the solution' }).click();
    await expect(widget.getByText(/The solution against your code/)).toBeVisible();
  },
  'decision-tree': async (widget) => {
    await widget.getByRole('button', { name: 'Yes, often and fast' }).click();
    await expect(widget.getByRole('button', { name: 'Back' })).toBeEnabled();
  },
  'scenario-quiz': async (widget) => {
    await widget.getByRole('button', { name: 'Short polling', exact: true }).click();
    await expect(widget.locator('.ch-feedback')).toBeVisible();
  },
};

/** What AxeBuilder injects before each run: nothing, since every document loads axe as it starts. */
const AXE_ALREADY_LOADED = ';';

/** Every document the page opens gets axe once, as it starts (an init script, which no CSP blocks). */
async function loadAxeInEveryDocument(page: Page): Promise<void> {
  await page.addInitScript(axeCore.source);
}

/**
 * One line per failing node: where, which rule, and for contrast the colours and the ratio.
 * A soft expectation, so that one run lists every page's violations.
 */
function expectNoViolations(results: AxeResults, where: string): void {
  expect.soft(describeViolations(results, where), `axe violations: ${where}`).toEqual([]);
}

function describeViolations(results: AxeResults, where: string): string[] {
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => {
      const contrast = node.any.find((check) => check.id === 'color-contrast')?.data as
        | { fgColor: string; bgColor: string; contrastRatio: number; expectedContrastRatio: string }
        | undefined;
      const colours = contrast
        ? ` — ${contrast.fgColor} on ${contrast.bgColor}: ${contrast.contrastRatio}:1, needs ${contrast.expectedContrastRatio}`
        : ` — ${node.failureSummary?.replace(/\s+/g, ' ')}`;
      return `${where}: ${violation.id} (${violation.impact}) at ${node.target.join(' ')}${colours}`;
    }),
  );
}

/**
 * Runs axe on the page as it is. axe itself is already in the page (see `loadAxeInEveryDocument`): by
 * default AxeBuilder sends its 0.5 MB source to the page twice a run, which took longer than the run.
 * Legacy mode runs axe in the page itself: our pages have no frames, and the default mode opens a blank
 * page and loads axe once more for every run.
 */
async function axe(page: Page, options: { include?: string; rules?: string[]; excludeCode?: boolean } = {}): Promise<AxeResults> {
  const runOptions: RunOptions = {
    runOnly: options.rules ? { type: 'rule', values: options.rules } : { type: 'tag', values: TAGS },
    resultTypes: ['violations'],
  };
  const builder = new AxeBuilder({ page, axeSource: AXE_ALREADY_LOADED }).setLegacyMode().options(runOptions);
  if (options.include) builder.include(options.include);
  if (options.excludeCode) builder.exclude('.astro-code');
  return builder.analyze();
}

/** Each colour of the highlighted code with the background it sits on, as `rgb(…) on rgb(…)`. */
async function codeColours(page: Page): Promise<string[]> {
  return page.locator('.astro-code span').evaluateAll((spans) => {
    const pairs = spans.map((span) => `${getComputedStyle(span).color} on ${getComputedStyle(span.closest('pre')!).backgroundColor}`);
    return [...new Set(pairs)];
  });
}

/** Checks the page at every width (desktop first, then phone), leaving the page at the last one. */
async function checkWidths(page: Page, where: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    expectNoViolations(await axe(page, { excludeCode: true }), `${where} at ${width} px`);
  }
}

async function open(page: Page, url: string, theme: Theme): Promise<void> {
  await page.setViewportSize({ width: WIDTHS[0], height: 800 });
  await page.goto(url);
  // The theme comes from the (emulated) system preference; make sure it took.
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

/** Scrolls each island into view, where it hydrates (`client:visible`), and waits until it has. */
async function hydrateIslands(page: Page): Promise<void> {
  for (const island of await page.locator('astro-island').all()) {
    // The island itself is `display: contents`, with no box to scroll to.
    await island.locator('> *').first().scrollIntoViewIfNeeded();
    await expect(island).not.toHaveAttribute('ssr');
  }
}

/** Starts every widget on the page, one after the other, as a reader scrolling down would. */
async function startWidgets(page: Page, url: string): Promise<void> {
  // Nested widgets (an experiment inside a demo) are started by their parent's starter, if at all.
  const names = await page
    .locator('[data-widget]:not([data-widget] [data-widget])')
    .evaluateAll((widgets) => widgets.map((widget) => (widget as HTMLElement).dataset.widget!));
  for (const name of names) {
    const start = STARTERS[name];
    expect(start, `${url}: how to start the widget "${name}" (add it to STARTERS)`).toBeDefined();
    const widget = page.locator(`[data-widget="${name}"]`);
    await widget.scrollIntoViewIfNeeded();
    await start!(widget);
  }
}

for (const theme of THEMES) {
  test(`axe finds no violation on any page in the ${theme} theme, at 1280 and 360 px, with the widgets idle and started`, async ({
    page,
  }) => {
    test.setTimeout(600_000);
    await page.emulateMedia({ colorScheme: theme });
    await loadAxeInEveryDocument(page);
    const codeColoursChecked = new Set<string>();

    for (const url of ['/', '/progress/', '/workshops/']) {
      await open(page, url, theme);
      await checkWidths(page, `${url} (${theme})`);
    }

    // The host dashboard: start a workshop from the page just checked.
    await page.setViewportSize({ width: WIDTHS[0], height: 800 });
    await page.getByLabel('Workshop title').fill('Accessibility check');
    await page.getByRole('button', { name: 'Start the workshop' }).click();
    await expect(page.locator('[data-connection]')).toHaveAttribute('data-connection', 'live', { timeout: 15_000 });
    await checkWidths(page, `host dashboard (${theme})`);

    await open(page, '/no-such-page/', theme);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await checkWidths(page, `404 (${theme})`);

    for (const slug of LESSONS) {
      const url = `/lessons/${slug}/`;
      await open(page, url, theme);
      const newColours = (await codeColours(page)).filter((pair) => !codeColoursChecked.has(pair));
      if (newColours.length > 0) {
        const code = await axe(page, { include: '.astro-code', rules: ['color-contrast'] });
        expectNoViolations(code, `${url} code blocks (${theme})`);
        for (const pair of newColours) codeColoursChecked.add(pair);
      }
      await hydrateIslands(page);
      if ((await page.locator('[data-widget]').count()) > 0) {
        // Idle widgets, before their first use (the rest of the page is checked below).
        expectNoViolations(await axe(page, { include: '[data-widget]' }), `${url} idle widgets (${theme})`);
      }
      await startWidgets(page, url);
      await checkWidths(page, `${url} (${theme}, widgets started)`);
    }
  });
}
