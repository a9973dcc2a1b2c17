import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions, noChromiumMessage } from '../../src/build/find-chromium.ts';

const launchOptions = chromiumLaunchOptions();
// Neither a named nor a system Chromium, nor Playwright's own: say where we looked, before 100 tests fail alike.
if (launchOptions.executablePath === undefined && !existsSync(chromium.executablePath())) {
  console.error(noChromiumMessage('the end-to-end tests', chromium.executablePath()));
  process.exit(1);
}

// The e2e tests run the built workbook exactly as `npm start` serves it.
const port = Number(process.env.E2E_PORT ?? 4391);
const baseURL = `http://127.0.0.1:${port}`;
// Progress goes to a scratch database, never to the repository's data/ (each test's browser is a new learner).
const dataDir = path.join(tmpdir(), `realtime-workbook-e2e-${port}`);

export default defineConfig({
  testDir: '.',
  testMatch: '*.test.ts',
  outputDir: '../../test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions,
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], launchOptions } }],
  webServer: {
    command: 'node server/index.ts',
    cwd: '../..',
    url: `${baseURL}/healthz`,
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir },
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'pipe',
  },
});
