import { readFile } from 'node:fs/promises';
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

/** A learner's browser: its own context, so its own `rtw_learner` cookie and storage. */
async function learnerPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  return context.newPage();
}

/** The fields of one CSV line (RFC 4180: quoted fields may hold commas and doubled quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

test('an instructor runs a workshop: learners join, report, follow the instructor and receive a broadcast in their demos', async ({
  browser,
}, testInfo) => {
  test.setTimeout(120_000);

  // The instructor starts a workshop and lands on its dashboard, the secret in the fragment.
  const host = await (await browser.newContext({ viewport: { width: 1366, height: 1000 } })).newPage();
  await host.goto('/workshops/');
  await host.getByLabel('Workshop title').fill('Friday class');
  await host.getByRole('button', { name: 'Start the workshop' }).click();
  await expect(host).toHaveURL(/\/workshops\/host\/\?code=[A-Z2-9]{6}#key=/);
  await expect(host.getByRole('heading', { level: 1, name: 'Friday class' })).toBeVisible();
  await expect(host.locator('[data-connection]')).toHaveAttribute('data-connection', 'live');
  const code = (await host.locator('[data-join-code]').textContent())!.trim();
  expect(code).toMatch(/^[A-Z2-9]{6}$/);
  const joinUrl = new URL((await host.locator('[data-join-url]').getAttribute('href'))!);
  expect(joinUrl.searchParams.get('join')).toBe(code);

  // Three learners open the join link; one first tries a name that is markup.
  const names = ['Ada', 'Grace', 'Linus'];
  const learners: Page[] = [];
  for (const name of names) {
    const page = await learnerPage(browser);
    await page.goto(joinUrl.pathname + joinUrl.search);
    await expect(page.getByLabel('Join code')).toHaveValue(code);
    await expect(page.getByText('Workshop: Friday class')).toBeVisible();
    const nameField = page.getByLabel('Your name');
    await expect(nameField).toBeFocused();
    if (name === 'Ada') {
      await nameField.fill('<b>x</b>');
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await expect(page.getByRole('alert')).toContainText('plain text');
      await expect(page.locator('[data-workshop-bar]')).toHaveCount(0);
    }
    await nameField.fill(name);
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await expect(page.locator('[data-workshop-bar]')).toContainText(`you are ${name}`);
    await expect(page.locator('[data-workshop-bar]')).toContainText('Friday class');
    // They appear on the dashboard as they join.
    await expect(host.getByRole('row').filter({ hasText: name })).toHaveAttribute('data-presence', 'online');
    learners.push(page);
  }
  const [ada, grace] = learners as [Page, Page, Page];
  await expect(host.locator('[data-count="online"] .workshop-tile-value')).toHaveText('3');

  // A completed lesson shows in the grid, live.
  await ada.goto('/lessons/why-real-time/');
  await expect(ada.locator('[data-workshop-bar]')).toContainText('you are Ada');
  await ada.getByRole('button', { name: 'Mark complete' }).click();
  const adaRow = host.getByRole('row').filter({ hasText: 'Ada' });
  await expect(adaRow.locator('[data-lesson="why-real-time"]')).toHaveAttribute('data-complete', 'true', { timeout: 15_000 });
  await expect(adaRow).toContainText('Why real-time');

  // "Done with this step" raises a hand on the dashboard.
  await grace.getByRole('button', { name: 'Done with this step' }).click();
  await expect(grace.getByRole('button', { name: 'Done with this step' })).toHaveAttribute('aria-pressed', 'true');
  await expect(host.locator('[data-count="done"] .workshop-tile-value')).toHaveText('1');
  await expect(host.getByRole('list', { name: 'Done with this step' })).toContainText('Grace');

  // The instructor sends everyone to lesson 4; each learner is asked, and goes.
  await host.getByLabel('Send everyone to').selectOption('server-sent-events');
  await host.getByRole('button', { name: 'Send everyone there' }).click();
  await expect(host.locator('[data-count="done"] .workshop-tile-value')).toHaveText('0');
  for (const page of learners) {
    const prompt = page.getByRole('region', { name: 'From your instructor' });
    await expect(prompt).toContainText('Your instructor asks everyone to open Server-Sent Events');
    if (page === ada) await screenshot(page, 'workshop-learner-prompt', { fullPage: false });
    await prompt.getByRole('button', { name: 'Go' }).click();
    await expect(page).toHaveURL(/\/lessons\/server-sent-events\/$/);
    await expect(page.getByRole('region', { name: 'From your instructor' })).toHaveCount(0);
  }
  for (const name of names) {
    await expect(host.getByRole('row').filter({ hasText: name })).toContainText('Server-Sent Events');
  }

  // Each learner connects the SSE demo; the instructor's broadcast shows in all three.
  for (const page of learners) {
    const widget = page.locator('[data-widget="sse"]');
    await widget.scrollIntoViewIfNeeded();
    await widget.getByRole('button', { name: 'Start build' }).click();
    await expect(widget.locator('[data-build-state]')).toHaveAttribute('data-build-state', 'running');
  }
  const text = 'Now kill the connection and watch it resume';
  // The demos' channels reach the server with the next heartbeat: send until all three are in.
  await expect(async () => {
    await host.getByLabel('Broadcast into the live demos').fill(text);
    await host.getByRole('button', { name: 'Send broadcast' }).click();
    await expect(host.locator('[data-receipt]')).toContainText('Sent to 3 learners, 3 demo channels', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  for (const page of learners) {
    await expect(page.locator('[data-widget="sse"] [data-broadcasts]')).toContainText(`From Friday class: ${text}`);
  }
  await expect(host.locator('[data-broadcast-log]')).toContainText(text);

  // The six-connection experiment still finds six free connections: the workshop's stream steps aside…
  await ada.getByRole('button', { name: 'Open 7 streams' }).click();
  await expect(ada.locator('[data-stream-state="open"]')).toHaveCount(6, { timeout: 15_000 });
  await expect(ada.locator('[data-stream-state="stalled"]')).toHaveCount(1);
  await ada.getByRole('button', { name: 'Stop experiment' }).click();
  await expect(host.getByRole('row').filter({ hasText: 'Ada' })).toHaveAttribute('data-presence', 'online');
  // …and comes back: the next "go to" reaches Ada.
  await host.getByLabel('Send everyone to').selectOption('websockets');
  await host.getByRole('button', { name: 'Send everyone there' }).click();
  await expect(ada.getByRole('region', { name: 'From your instructor' })).toContainText('open WebSockets');

  // The results as CSV: a header and one row per learner, with the completed lesson.
  const downloading = host.waitForEvent('download');
  await host.getByRole('link', { name: 'Export CSV' }).click();
  const download = await downloading;
  const file = testInfo.outputPath('results.csv');
  await download.saveAs(file);
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/).filter((line) => line !== '');
  expect(lines).toHaveLength(4);
  const header = csvFields(lines[0]!);
  expect(header[0]).toBe('name');
  const lessonColumn = header.indexOf('lesson:why-real-time');
  expect(lessonColumn).toBeGreaterThan(0);
  const rows = lines.slice(1).map(csvFields);
  expect(rows.map((row) => row[0]).sort()).toEqual(names);
  for (const row of rows) {
    if (row[0] === 'Ada') expect(row[lessonColumn]).toMatch(/^\d{4}-\d\d-\d\dT/);
    else expect(row[lessonColumn]).toBe('');
  }

  // Screenshots of the dashboard with learners, for a person to look at.
  for (const colorScheme of ['light', 'dark'] as const) {
    await host.emulateMedia({ colorScheme });
    await host.evaluate((scheme) => (document.documentElement.dataset.theme = scheme), colorScheme);
    for (const [device, viewport] of [
      ['desktop', { width: 1366, height: 1000 }],
      ['phone', { width: 360, height: 780 }],
    ] as const) {
      await host.setViewportSize(viewport);
      await screenshot(host, `workshop-dashboard-${device}-${colorScheme}`);
      const overflow = await host.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `the dashboard (${device}, ${colorScheme}) is wider than the viewport`).toBeLessThanOrEqual(0);
    }
  }
  await ada.locator('[data-widget="sse"] [data-broadcasts]').scrollIntoViewIfNeeded();
  await screenshot(ada, 'workshop-learner-sse-broadcast', { fullPage: false });
});
