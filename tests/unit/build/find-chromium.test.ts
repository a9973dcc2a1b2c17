import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CHROMIUM_ARGS, SYSTEM_CHROMIUM_PATHS, chromiumLaunchOptions, findChromium } from '../../../src/build/find-chromium.ts';

describe('findChromium', () => {
  it('prefers CHROMIUM_PATH, then PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH, even if the file is missing', () => {
    assert.equal(findChromium({ CHROMIUM_PATH: '/opt/a', PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH: '/opt/b' }), '/opt/a');
    assert.equal(findChromium({ PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH: '/opt/b' }), '/opt/b');
  });

  it("falls back to the first system Chromium that exists, else to Playwright's own (undefined)", () => {
    const expected = SYSTEM_CHROMIUM_PATHS.find((path) => existsSync(path));
    assert.equal(findChromium({}), expected);
  });
});

describe('chromiumLaunchOptions', () => {
  it('passes the found executable and the flags for headless build machines', () => {
    assert.deepEqual(chromiumLaunchOptions({ CHROMIUM_PATH: '/opt/a' }), { executablePath: '/opt/a', args: [...CHROMIUM_ARGS] });
    assert.ok(CHROMIUM_ARGS.includes('--no-sandbox'));
  });
});
