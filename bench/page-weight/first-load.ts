/**
 * What a browser really fetches when a reader opens a page and has not yet scrolled, typed or
 * pressed anything: the page's scripts, and the islands that wake at once (`client:load`) or
 * sit in the first screen (`client:reachable` wakes an island when it is reachable). Measured
 * in Chromium against the real server, at a phone's and a desktop's window size.
 */
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright';
import { createApp } from '../../server/app.ts';
import type { WorkbookApp } from '../../server/workbook-app.ts';
import { readConfig } from '../../server/config.ts';
import { chromiumLaunchOptions } from '../../src/build/find-chromium.ts';

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** A page is settled once its first screen's islands have hydrated and no script has been requested for this long. */
const QUIET_MS = 600;
/** …or after this long, whatever keeps arriving (a page that never settles is reported as it stands). */
const SETTLE_LIMIT_MS = 15_000;

export interface FirstLoadProbe {
  /** The `/_astro/*.js` URLs the page requested at `viewport` before any scroll or input. */
  scriptsRequested(page: string, viewport: ViewportName): Promise<Set<string>>;
  close(): Promise<void>;
}

/** Starts the workbook (progress in memory) on a free port, and a Chromium. */
export async function startFirstLoadProbe(): Promise<FirstLoadProbe> {
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  const app: WorkbookApp = createApp({ ...readConfig({}), dataDir: ':memory:', port: 0, host: '127.0.0.1' }, { logger: quiet });
  await app.ready();
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch(chromiumLaunchOptions());
  } catch (error) {
    await app.close();
    throw error;
  }

  return {
    async scriptsRequested(page, viewport) {
      // A new reader each time: empty cache and storage, no workshop joined; no service worker, whose
      // precaching is not the page's own load.
      const context = await browser.newContext({ viewport: VIEWPORTS[viewport], serviceWorkers: 'block' });
      try {
        const tab = await context.newPage();
        const scripts = new Set<string>();
        let lastScriptAt = Date.now();
        tab.on('request', (request) => {
          const { origin: from, pathname } = new URL(request.url());
          if (from === origin && pathname.startsWith('/_astro/') && pathname.endsWith('.js')) {
            scripts.add(pathname);
            lastScriptAt = Date.now();
          }
        });
        await tab.goto(`${origin}${page}`, { waitUntil: 'load' });
        // Every island in the first screen has hydrated (Astro drops `ssr` then); an island is
        // `display: contents`, so its place is its children's, as client:reachable observes them.
        await tab.waitForFunction(
          () =>
            [...document.querySelectorAll('astro-island[ssr]')].every((island) =>
              [...island.children].every((child) => {
                const box = child.getBoundingClientRect();
                return box.bottom <= 0 || box.top >= innerHeight || box.width === 0;
              }),
            ),
          undefined,
          { timeout: SETTLE_LIMIT_MS },
        );
        const started = Date.now();
        while (Date.now() - lastScriptAt < QUIET_MS && Date.now() - started < SETTLE_LIMIT_MS) {
          await tab.waitForTimeout(100);
        }
        return scripts;
      } finally {
        await context.close();
      }
    },
    async close() {
      await browser.close();
      await app.close();
    },
  };
}
