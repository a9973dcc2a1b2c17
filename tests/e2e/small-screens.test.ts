import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

const LESSONS = [
  'why-real-time',
  'short-polling',
  'long-polling',
  'server-sent-events',
  'websockets',
  'side-by-side',
  'in-production',
  'scaling-out',
  'choosing',
];
const PAGES = ['/', '/progress/', '/workshops/', '/workshops/host/', '/no-such-page/', ...LESSONS.map((slug) => `/lessons/${slug}/`)];

async function phone(browser: Browser, width: number, colorScheme: 'light' | 'dark' = 'dark'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 740 }, colorScheme });
  return context.newPage();
}

/** Brings every island into view in turn, so that each widget wakes up and renders what it renders. */
async function wakeEveryWidget(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const island of document.querySelectorAll('astro-island')) {
      island.firstElementChild?.scrollIntoView();
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    window.scrollTo(0, 0);
  });
  await expect(page.locator('astro-island[ssr]')).toHaveCount(0, { timeout: 15_000 });
}

test('at 320 px no page scrolls sideways and the theme toggle is on screen (WCAG 1.4.10)', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await phone(browser, 320);
  for (const url of PAGES) {
    await page.goto(url);
    await wakeEveryWidget(page);
    const { scrollWidth, viewport } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      viewport: document.documentElement.clientWidth,
    }));
    expect(scrollWidth, `${url} is wider than the phone`).toBeLessThanOrEqual(viewport);
    const toggle = await page.locator('[data-theme-toggle]').boundingBox();
    expect(toggle, `${url}: the theme toggle is laid out`).not.toBeNull();
    expect(toggle!.x, `${url}: the theme toggle starts on screen`).toBeGreaterThanOrEqual(0);
    expect(toggle!.x + toggle!.width, `${url}: the theme toggle ends on screen`).toBeLessThanOrEqual(viewport);
  }
  await page.goto('/lessons/websockets/');
  await screenshot(page, 'small-screens-320-dark', { fullPage: false });
  await page.context().close();
});

test('on a phone the header links sit in a Menu that works with the keyboard alone', async ({ browser }) => {
  const page = await phone(browser, 360);
  await page.goto('/lessons/short-polling/');
  const menu = page.getByRole('button', { name: 'Menu' });
  const links = page.getByRole('navigation', { name: 'Site' });
  await expect(links.getByRole('link', { name: 'Workshops' })).toBeHidden();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');

  for (let presses = 0; presses < 5 && !(await menu.evaluate((button) => button === document.activeElement)); presses++) {
    await page.keyboard.press('Tab');
  }
  await expect(menu).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  for (const name of ['Lessons', 'Progress', 'Workshops']) await expect(links.getByRole('link', { name })).toBeVisible();
  // Tab goes from the button into the menu.
  await page.keyboard.press('Tab');
  await expect(links.getByRole('link', { name: 'Lessons' })).toBeFocused();
  await screenshot(page, 'small-screens-menu-360-dark', { fullPage: false });

  // Escape closes it and gives focus back to the button.
  await page.keyboard.press('Escape');
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(links.getByRole('link', { name: 'Lessons' })).toBeHidden();
  await expect(menu).toBeFocused();

  // And a link in it leads where it says.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(links.getByRole('link', { name: 'Progress' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/progress\/$/);
  await page.context().close();
});

test('on a wide screen the header shows its links and no Menu button', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto('/lessons/in-production/');
  await expect(page.getByRole('button', { name: 'Menu' })).toBeHidden();
  for (const name of ['Lessons', 'Progress', 'Workshops']) {
    await expect(page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name })).toBeVisible();
  }
  await screenshot(page, 'small-screens-1280-light', { fullPage: false });
  await context.close();
});

test('at 360 px no diagram text is smaller than 12 px; a diagram too wide scrolls, takes focus and has a name', async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await phone(browser, 360);
  let diagrams = 0;
  for (const slug of LESSONS) {
    await page.goto(`/lessons/${slug}/`);
    const figures = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('figure.diagram')].map((figure) => {
        const svg = [...figure.querySelectorAll('svg')].find((candidate) => candidate.getBoundingClientRect().width > 0)!;
        // Rendered size = font size × the SVG's scale (its width on screen over its viewBox width).
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        let smallest = Infinity;
        for (const text of svg.querySelectorAll('text, foreignObject span, foreignObject div, foreignObject p')) {
          if (text.textContent?.trim()) smallest = Math.min(smallest, Number.parseFloat(getComputedStyle(text).fontSize) * scale);
        }
        return {
          label: svg.getAttribute('aria-label'),
          smallest,
          scrolls: figure.scrollWidth > figure.clientWidth,
          tabStop: figure.getAttribute('tabindex') === '0',
          named: Boolean(figure.querySelector('figcaption')?.textContent?.trim() || figure.getAttribute('aria-label')),
        };
      }),
    );
    for (const figure of figures) {
      diagrams++;
      expect(figure.smallest, `${slug}: "${figure.label}" has text`).toBeLessThan(Infinity);
      expect(figure.smallest, `${slug}: "${figure.label}"'s smallest text`).toBeGreaterThanOrEqual(11.99);
      expect(figure.tabStop, `${slug}: "${figure.label}" is a Tab stop exactly when it scrolls`).toBe(figure.scrolls);
      if (figure.scrolls) expect(figure.named, `${slug}: "${figure.label}" has a name`).toBe(true);
    }
  }
  expect(diagrams).toBeGreaterThan(15);
  await page.goto('/lessons/in-production/');
  await page.locator('figure.diagram').nth(1).scrollIntoViewIfNeeded();
  await screenshot(page, 'small-screens-diagram-360-dark', { fullPage: false });
  await page.context().close();
});

test('at 360 px the decision tree scrolls to its far edge with the arrow keys', async ({ browser }) => {
  const page = await phone(browser, 360, 'light');
  await page.goto('/lessons/choosing/');
  const tree = page.locator('figure[data-decision-tree]');
  await expect(tree).toHaveAttribute('tabindex', '0');
  await tree.focus();
  const farEdge = await tree.evaluate((figure) => figure.scrollWidth - figure.clientWidth);
  expect(farEdge).toBeGreaterThan(100);
  for (let presses = 0; presses < 60 && (await tree.evaluate((figure) => figure.scrollLeft)) < farEdge - 1; presses++) {
    await page.keyboard.press('ArrowRight');
  }
  expect(await tree.evaluate((figure) => figure.scrollLeft)).toBeGreaterThanOrEqual(farEdge - 1);
  await screenshot(page, 'small-screens-decision-tree-360-light', { fullPage: false });
  await page.context().close();
});
