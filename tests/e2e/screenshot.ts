import type { Page } from '@playwright/test';
import path from 'node:path';

/**
 * Screenshots land in tests/e2e/screenshots/ (git-ignored) for a person to open and look at.
 * Whole pages by default; the first screen only where a page is very long and time matters.
 */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  await page.screenshot({ path: path.join(import.meta.dirname, 'screenshots', `${name}.png`), fullPage });
}
