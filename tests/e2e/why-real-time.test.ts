import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

/** Moves a calculator slider with the arrow keys until it reads `text` (the slider's own output). */
async function setSlider(page: Page, label: string, text: string): Promise<void> {
  const slider = page.getByRole('slider', { name: label });
  await slider.focus();
  await slider.press('Home');
  for (let step = 0; step < 20 && (await slider.getAttribute('aria-valuetext')) !== text; step++) {
    await slider.press('ArrowRight');
  }
  await expect(slider).toHaveAttribute('aria-valuetext', text);
}

function figure(card: Locator, term: string): Locator {
  return card
    .locator('.fcc-figure')
    .filter({ has: card.page().locator('dt', { hasText: term }) })
    .locator('dd');
}

test('the calculator’s sliders reach each exercise answer, and three right answers complete lesson 1 after a wrong one', async ({
  page,
}) => {
  await page.goto('/lessons/why-real-time/');
  const polling = page.getByRole('region', { name: 'Short polling, per hour' });
  const push = page.getByRole('region', { name: 'Push (SSE or WebSocket), per hour' });
  await setSlider(page, 'Readers', '1,000 readers');

  // Answer 2 on the slider: polling every 40 s fits 100 MB an hour and leaves 20 s of staleness.
  await setSlider(page, 'Polling interval', 'every 40 s');
  await expect(figure(polling, 'Bytes per hour')).toHaveText('99 MB');
  await expect(figure(polling, 'Average staleness')).toHaveText('20 s');
  // Answer 3 on the slider: at 30 s, 2,200 changes an hour is where push passes polling.
  await setSlider(page, 'Polling interval', 'every 30 s');
  await setSlider(page, 'Changes per hour', '2,200 (1.64 s apart)');
  await expect(figure(polling, 'Bytes per hour')).toHaveText('132 MB');
  await expect(figure(push, 'Bytes per hour')).toHaveText('133 MB');

  const exercise = page.locator('[data-widget="freshness-exercise"]');
  const answer = (n: number) => exercise.getByRole('listitem').filter({ hasText: `Answer ${n}:` });
  await exercise.scrollIntoViewIfNeeded(); // the island hydrates when it comes into view
  await exercise.getByLabel('At which interval does polling first move 1 GB').fill('4');
  await exercise.getByLabel('What’s the best average staleness').fill('20');
  await exercise.getByLabel('how many changes per hour').fill('2,200');
  await exercise.getByRole('button', { name: 'Check answers' }).click();
  await expect(answer(1)).toHaveClass(/widget-check-missed/);
  await expect(answer(1)).toContainText('990 MB an hour: under 1 GB');
  await expect(answer(2)).toHaveClass(/widget-check-met/);
  await expect(answer(3)).toHaveClass(/widget-check-met/);
  await expect(exercise.getByRole('status')).toHaveText('');
  await expect(page.getByRole('button', { name: 'Mark complete' })).toBeVisible();

  await exercise.getByLabel('At which interval does polling first move 1 GB').fill('3');
  await exercise.getByRole('button', { name: 'Check answers' }).click();
  for (const n of [1, 2, 3]) await expect(answer(n)).toHaveClass(/widget-check-met/);
  await expect(exercise.getByRole('status')).toHaveText('Exercise complete ✓');
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();

  // Saved as progress: a reload still shows the lesson complete and the exercise done.
  await page.reload();
  await page.locator('[data-widget="freshness-exercise"]').scrollIntoViewIfNeeded();
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
  await expect(page.locator('[data-widget="freshness-exercise"]').getByRole('status')).toHaveText('Exercise complete ✓');
});
