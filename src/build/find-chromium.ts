/**
 * Where to find a Chromium for build-time diagram rendering and for the e2e tests.
 *
 * Imported by `astro.config.mjs` (through the mermaid plugin) and by
 * `tests/e2e/playwright.config.ts`, so it depends on `node:fs` only and runs in
 * plain Node 24.
 */
import { existsSync } from 'node:fs';

/** Environment variables that name a Chromium executable, checked in this order. */
export const CHROMIUM_PATH_VARIABLES = ['CHROMIUM_PATH', 'PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH'] as const;

/** Where distribution packages install Chromium or Chrome, checked in this order. */
export const SYSTEM_CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'] as const;

/**
 * Chromium flags for headless runs on build machines and containers: no sandbox
 * (containers often run as root, where the sandbox refuses to start), no GPU, and
 * no background traffic to Google services (the machines may be offline).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How to get a Chromium, for error messages. */
export const HOW_TO_GET_CHROMIUM = [
  '  - point CHROMIUM_PATH at a Chromium or Chrome executable, e.g. CHROMIUM_PATH=/usr/bin/chromium',
  '  - or install the system package: sudo apt-get install -y chromium',
  "  - or install Playwright's own browser: npx playwright install chromium",
].join('\n');

/**
 * The Chromium executable to launch: the path from `CHROMIUM_PATH` (or
 * `PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH`) if set, else the first system Chromium
 * that exists, else `undefined`, meaning "Playwright's own browser" (what
 * `npx playwright install chromium` downloads).
 *
 * A path from the environment is returned even if it does not exist, so that a
 * typo fails loudly at launch instead of silently picking another browser.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of CHROMIUM_PATH_VARIABLES) {
    const path = env[name];
    if (path) return path;
  }
  return SYSTEM_CHROMIUM_PATHS.find((path) => existsSync(path));
}

/**
 * What was looked for, in order, and how to get a browser: for a runner that
 * found none (`playwrightChromium` is where Playwright's own would be).
 */
export function noChromiumMessage(purpose: string, playwrightChromium: string): string {
  const looked = [
    ...CHROMIUM_PATH_VARIABLES.map((name) => `$${name} (not set)`),
    ...SYSTEM_CHROMIUM_PATHS,
    `Playwright's own Chromium, ${playwrightChromium}`,
  ];
  return `Chromium is needed for ${purpose}, and none was found. Looked for, in order:\n${looked.map((place) => `  - ${place}`).join('\n')}\nGet one:\n${HOW_TO_GET_CHROMIUM}`;
}

/** Playwright `launchOptions` for {@link findChromium}'s browser with {@link CHROMIUM_ARGS}. */
export function chromiumLaunchOptions(env: NodeJS.ProcessEnv = process.env): {
  executablePath?: string;
  args: string[];
} {
  const executablePath = findChromium(env);
  return executablePath ? { executablePath, args: [...CHROMIUM_ARGS] } : { args: [...CHROMIUM_ARGS] };
}
