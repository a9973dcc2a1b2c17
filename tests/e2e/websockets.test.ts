import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

async function openChat(page: Page, url = '/lessons/websockets/'): Promise<Locator> {
  await page.goto(url);
  const widget = page.locator('[data-widget="websocket"]');
  await widget.scrollIntoViewIfNeeded();
  return widget;
}

async function join(pane: Locator, name: string): Promise<void> {
  await pane.getByRole('textbox', { name: 'Name' }).fill(name);
  await pane.getByRole('button', { name: 'Join' }).click();
  await expect(pane.getByRole('list', { name: 'In the room' })).toContainText(`${name} (you)`);
}

async function send(pane: Locator, text: string): Promise<void> {
  await pane.getByRole('textbox', { name: 'Message' }).fill(text);
  await pane.getByRole('button', { name: 'Send' }).click();
}

test('two browsers chat in one room: presence, delivery ticks, and a message typed offline arrives once', async ({ browser }) => {
  const ada = await browser.newContext();
  const linus = await browser.newContext();
  try {
    const adaWidget = await openChat(await ada.newPage());
    // The room is chosen when the widget wakes up.
    await expect(adaWidget.locator('[data-room]')).toHaveAttribute('data-room', /^ws-/);
    const room = await adaWidget.locator('[data-room]').getAttribute('data-room');
    const adaPane = adaWidget.locator('[data-pane="a"]');
    await join(adaPane, 'Ada');

    // The second browser comes in through the room's invite link.
    const linusWidget = await openChat(await linus.newPage(), `/lessons/websockets/?room=${room}`);
    const linusPane = linusWidget.locator('[data-pane="a"]');
    await join(linusPane, 'Linus');
    await expect(adaPane.getByRole('list', { name: 'In the room' })).toContainText('Linus');

    await send(adaPane, 'Hello from Ada');
    await expect(adaPane.locator('[data-delivery="delivered"]')).toContainText('Hello from Ada');
    await expect(linusPane.getByRole('list', { name: 'Messages' })).toContainText('Hello from Ada');

    // Offline: the message waits in the outbox, then is delivered exactly once.
    await linusPane.getByRole('button', { name: 'Go offline for 10 s' }).click();
    await expect(linusPane.locator('[data-connection-state]')).toHaveAttribute('data-connection-state', 'offline');
    await send(linusPane, 'Typed while offline');
    await expect(linusPane.locator('[data-delivery="sending"]')).toContainText('Typed while offline');
    await expect(linusPane.locator('[data-delivery="delivered"]').filter({ hasText: 'Typed while offline' })).toBeVisible({
      timeout: 30_000,
    });
    const atAda = adaPane.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'Typed while offline' });
    await expect(atAda).toHaveCount(1);

    // Presence follows people out: Linus closes the window.
    await linus.close();
    await expect(adaPane.getByRole('list', { name: 'In the room' })).not.toContainText('Linus', { timeout: 15_000 });
  } finally {
    await ada.close();
    await linus.close().catch(() => {});
  }
});

test('killing a socket and restarting the server side both reconnect; a flood meets the rate limit', async ({ page }) => {
  const widget = await openChat(page);
  const a = widget.locator('[data-pane="a"]');
  const b = widget.locator('[data-pane="b"]');
  await join(a, 'Ada');
  await join(b, 'Grace');

  await a.getByRole('button', { name: 'Kill my socket' }).click();
  await expect(a.locator('[data-connection-state]')).toHaveAttribute('data-connection-state', 'open', { timeout: 20_000 });
  await expect(a.getByRole('list', { name: 'In the room' })).toContainText('Ada (you)');

  await widget.getByRole('button', { name: 'Restart the server side' }).click();
  for (const pane of [a, b]) {
    await expect(pane.locator('[data-connection-state]')).toHaveAttribute('data-connection-state', 'open', {
      timeout: 20_000,
    });
  }
  await send(b, 'Still here');
  await expect(a.getByRole('list', { name: 'Messages' })).toContainText('Still here');

  await a.getByRole('button', { name: 'Flood' }).click();
  await expect(a.getByText(/rate.limit/i).first()).toBeVisible();
});

test('the exercise: two messages sent offline reach the other pane exactly once', async ({ page }) => {
  const widget = await openChat(page);
  const a = widget.locator('[data-pane="a"]');
  const b = widget.locator('[data-pane="b"]');
  await join(a, 'Ada');
  await join(b, 'Grace');

  await b.getByRole('button', { name: 'Go offline for 10 s' }).click();
  await send(b, 'First while offline');
  await send(b, 'Second while offline');
  await expect(widget.getByText('Exercise complete ✓')).toBeVisible({ timeout: 30_000 });
  for (const text of ['First while offline', 'Second while offline']) {
    await expect(a.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text })).toHaveCount(1);
  }
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
});
