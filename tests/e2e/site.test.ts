import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

const pages = {
  home: '/',
  'why-real-time': '/lessons/why-real-time/',
  'short-polling': '/lessons/short-polling/',
  'long-polling': '/lessons/long-polling/',
  'server-sent-events': '/lessons/server-sent-events/',
  websockets: '/lessons/websockets/',
  'side-by-side': '/lessons/side-by-side/',
  'in-production': '/lessons/in-production/',
  'scaling-out': '/lessons/scaling-out/',
  choosing: '/lessons/choosing/',
  progress: '/progress/',
  workshops: '/workshops/',
  // Without a key in the link: the dashboard explains where the key is.
  'workshop-host': '/workshops/host/',
};

// One test per page, so each long lesson gets its own time budget.
for (const [name, url] of Object.entries(pages)) {
  test(`${name} reads well in light and dark mode on a desktop and on a 360 px phone`, async ({ browser }) => {
    for (const [device, viewport] of [
      ['desktop', { width: 1366, height: 900 }],
      ['phone', { width: 360, height: 780 }],
    ] as const) {
      for (const colorScheme of ['dark', 'light'] as const) {
        const context = await browser.newContext({ viewport, colorScheme });
        const page = await context.newPage();
        await page.goto(url);
        await expect(page.locator('html')).toHaveAttribute('data-theme', colorScheme);
        // Nothing may overflow the viewport sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} (${device}, ${colorScheme}) is wider than the viewport`).toBeLessThanOrEqual(0);
        await screenshot(page, `${name}-${device}-${colorScheme}`, { fullPage: false });
        await context.close();
      }
    }
  });
}

test('the theme toggle switches to dark and the choice survives a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('button', { name: 'Switch to light theme' })).toBeVisible();
});
