import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { screenshot } from './screenshot.ts';

interface Scenario {
  id: string;
  title: string;
  answer: 'short-polling' | 'long-polling' | 'sse' | 'websocket';
  acceptable?: Array<'short-polling' | 'long-polling' | 'sse' | 'websocket'>;
}

// The quiz's own data, so the test knows the right answers without repeating them.
const { scenarios } = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../content/quiz/scenarios.json'), 'utf8')) as {
  scenarios: Scenario[];
};
const NAMES = { 'short-polling': 'Short polling', 'long-polling': 'Long polling', sse: 'Server-Sent Events', websocket: 'WebSockets' };
const wrongFor = (scenario: Scenario) => (scenario.answer === 'websocket' ? 'Short polling' : 'WebSockets');

/** Scrolls the widget into view so that it hydrates (`client:visible`), and waits until its buttons work. */
async function widget(page: Page, name: 'decision-tree' | 'scenario-quiz'): Promise<Locator> {
  const root = page.locator(`[data-widget="${name}"]`);
  await root.scrollIntoViewIfNeeded();
  await expect(root.locator('fieldset').first()).toBeEnabled();
  return root;
}

test('a reader walks the decision tree to a recommendation, goes back, starts over and follows the link', async ({ page }) => {
  await page.goto('/lessons/choosing/');
  await expect(page.getByRole('heading', { level: 1, name: 'Choosing' })).toBeVisible();

  // The flowchart comes from the same data, as SVG built at build time: no mermaid in the page.
  const diagram = page.locator('figure[data-decision-tree]');
  await expect(diagram.locator('svg.diagram-light')).toBeAttached();
  await expect(diagram.locator('[data-node-id="two-way"]')).toHaveCount(2);
  expect(await page.content()).not.toContain('mermaid.min');

  // The comparison table links each technique to its lesson.
  const table = page.locator('table').first();
  await expect(table.getByRole('link', { name: 'Long polling' })).toHaveAttribute('href', '/lessons/long-polling/');
  await expect(table.getByRole('link', { name: 'Browser limits' })).toHaveAttribute(
    'href',
    '/lessons/server-sent-events/#six-connections-per-host',
  );

  const walker = await widget(page, 'decision-tree');
  await expect(walker.getByRole('heading', { name: 'Must the browser send real-time messages on the same channel?' })).toBeVisible();
  await expect(walker.getByRole('button', { name: 'Back' })).toBeDisabled();

  await walker.getByRole('button', { name: 'No, or only now and then' }).click();
  await walker.getByRole('button', { name: 'Yes, within a second' }).click();
  await walker.getByRole('button', { name: 'Yes: our own servers, or streams end within the limit' }).click();
  await walker.getByRole('button', { name: 'No, or we run them all' }).click();
  await walker.getByRole('button', { name: 'A steady flow' }).click();

  const recommendation = walker.locator('[data-recommendation]');
  await expect(recommendation).toHaveAttribute('data-recommendation', 'sse');
  await expect(recommendation.getByRole('heading', { name: 'Server-Sent Events' })).toBeFocused();
  await expect(recommendation).toContainText('Last-Event-ID');
  await expect(walker.getByRole('listitem')).toHaveCount(5);
  // The path is highlighted on the diagram, in both the light and the dark copy.
  await expect(diagram).toHaveClass(/is-walking/);
  await expect(diagram.locator('[data-node-id="sse"].is-current')).toHaveCount(2);
  await expect(diagram.locator('path[data-id="L_frequency_sse_0"].is-on-path')).toHaveCount(2);
  await expect(diagram.locator('[data-node-id="ws-blocked"].is-on-path')).toHaveCount(0);

  await walker.getByRole('button', { name: 'Back' }).click();
  await expect(walker.getByRole('heading', { name: 'How many updates does a reader get while the page is open?' })).toBeFocused();
  await expect(diagram.locator('[data-node-id="sse"].is-on-path')).toHaveCount(0);
  await walker.getByRole('button', { name: 'One, then the page is done' }).click();
  await expect(recommendation).toHaveAttribute('data-recommendation', 'long-polling');

  await walker.getByRole('button', { name: 'Start over' }).click();
  await expect(walker.locator('[data-recommendation]')).toHaveCount(0);
  await expect(walker.getByRole('heading', { name: 'Must the browser send real-time messages on the same channel?' })).toBeVisible();
  await expect(walker.getByRole('button', { name: 'Back' })).toBeDisabled();
  await expect(diagram).not.toHaveClass(/is-walking/);

  await walker.getByRole('button', { name: 'Yes, often and fast' }).click();
  await walker.getByRole('button', { name: 'Yes, for some users' }).click();
  await expect(recommendation).toHaveAttribute('data-recommendation', 'long-polling');
  await recommendation.getByRole('link', { name: 'Go to the lesson: Long polling' }).click();
  await expect(page).toHaveURL(/\/lessons\/long-polling\/$/);
});

test('a reader completes the quiz, gets a score, retries the missed ones, and the result is saved', async ({ page }) => {
  await page.goto('/lessons/choosing/');
  const quiz = await widget(page, 'scenario-quiz');
  expect(scenarios.length).toBeGreaterThanOrEqual(12);
  const missed = scenarios.slice(0, 3);

  for (const [index, scenario] of scenarios.entries()) {
    await expect(quiz.getByText(`Scenario ${index + 1} of ${scenarios.length}`)).toBeVisible();
    await expect(quiz.getByRole('heading', { level: 3, name: scenario.title })).toBeVisible();
    const wrong = missed.includes(scenario);
    await quiz.getByRole('button', { name: wrong ? wrongFor(scenario) : NAMES[scenario.answer], exact: true }).click();

    const feedback = quiz.locator('.ch-feedback');
    await expect(feedback).toHaveAttribute('data-verdict', wrong ? 'wrong' : 'right');
    await expect(feedback.getByRole('heading')).toHaveText(
      wrong ? `Not quite. This one calls for ${NAMES[scenario.answer]}.` : `Right: ${NAMES[scenario.answer]}`,
    );
    // Why the right one fits, why each of the other three doesn't, and the tree's path.
    await expect(feedback.locator('.ch-others > li')).toHaveCount(3);
    await expect(feedback).toContainText("The decision tree's path");
    await expect(feedback).toContainText('Leads to:');

    const last = index === scenarios.length - 1;
    await quiz.getByRole('button', { name: last ? 'See your score' : 'Next scenario' }).click();
  }

  const total = scenarios.length;
  await expect(quiz.locator('[data-quiz-score]')).toHaveText(`${total - 3} of ${total}`);
  await expect(quiz.locator('.ch-summary > li[data-verdict="wrong"]')).toHaveCount(3);
  await expect(page.getByRole('button', { name: '✓ Completed' })).toHaveCount(0);

  await quiz.getByRole('button', { name: 'Retry the missed ones' }).click();
  for (const [index, scenario] of missed.entries()) {
    await expect(quiz.getByText(`Retry · Scenario ${index + 1} of 3`)).toBeVisible();
    await expect(quiz.getByRole('heading', { level: 3, name: scenario.title })).toBeVisible();
    await quiz.getByRole('button', { name: NAMES[scenario.answer], exact: true }).click();
    await quiz.getByRole('button', { name: index === missed.length - 1 ? 'See your score' : 'Next scenario' }).click();
  }
  await expect(quiz.locator('[data-quiz-score]')).toHaveText('3 of 3');
  await expect(quiz.getByRole('status')).toHaveText('Saved to your progress. Exercise complete ✓');
  await expect(quiz.getByRole('button', { name: 'Retry the missed ones' })).toHaveCount(0);
  // Finishing the exercise completes the lesson.
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();

  // Both rounds are in the saved progress, with every pick.
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('rtw:progress:v1') ?? '{}'));
  expect(saved.quiz.map((attempt: { score: number; total: number }) => `${attempt.score} of ${attempt.total}`)).toEqual([
    `${total - 3} of ${total}`,
    '3 of 3',
  ]);
  expect(Object.keys(saved.quiz[0].answers)).toHaveLength(total);
  expect(saved.quiz[0].answers[missed[0].id]).not.toBe(missed[0].answer);

  await page.reload();
  const again = await widget(page, 'scenario-quiz');
  await expect(again.locator('[data-quiz-saved]')).toContainText('3 of 3');
  await expect(again.locator('[data-quiz-saved]')).toContainText('2 rounds in all');
  await expect(again.locator('[data-quiz-saved]')).toContainText('Exercise complete ✓');
  await expect(page.getByRole('button', { name: '✓ Completed' })).toBeVisible();
});

test('a first round of 12 or more right completes the exercise at once', async ({ page }) => {
  await page.goto('/lessons/choosing/');
  const quiz = await widget(page, 'scenario-quiz');
  for (const [index, scenario] of scenarios.entries()) {
    await quiz.getByRole('button', { name: index === 0 ? wrongFor(scenario) : NAMES[scenario.answer], exact: true }).click();
    await quiz.getByRole('button', { name: index === scenarios.length - 1 ? 'See your score' : 'Next scenario' }).click();
  }
  await expect(quiz.locator('[data-quiz-score]')).toHaveText(`${scenarios.length - 1} of ${scenarios.length}`);
  await expect(quiz.getByRole('status')).toHaveText('Saved to your progress. Exercise complete ✓');
  await expect(quiz.getByRole('button', { name: 'Retry the missed ones' })).toBeVisible();
});

test('an acceptable pick earns half a point, says why the best fit is better, and is not retried', async ({ page }) => {
  await page.goto('/lessons/choosing/');
  const quiz = await widget(page, 'scenario-quiz');
  const half = scenarios.find((scenario) => (scenario.acceptable ?? []).length > 0)!;
  const halfIndex = scenarios.indexOf(half);
  const acceptable = half.acceptable![0];
  for (const [index, scenario] of scenarios.entries()) {
    const pick = index === halfIndex ? NAMES[acceptable] : NAMES[scenario.answer];
    await quiz.getByRole('button', { name: pick, exact: true }).click();
    if (index === halfIndex) {
      const feedback = quiz.locator('.ch-feedback');
      await expect(feedback).toHaveAttribute('data-verdict', 'acceptable');
      await expect(feedback.getByRole('heading')).toHaveText(
        `Acceptable: ${NAMES[acceptable]} works here, for half a point. The best fit is ${NAMES[half.answer]}.`,
      );
      await expect(feedback.locator('li[data-picked]')).toContainText('(your pick, also acceptable, half a point)');
      await expect(quiz.locator(`.ch-choice[data-technique="${acceptable}"]`)).toHaveAttribute('data-verdict', 'acceptable');
      await expect(quiz.locator(`.ch-choice[data-technique="${half.answer}"]`)).toHaveAttribute('data-verdict', 'right');
      await expect(quiz.getByText(`${index === 0 ? '' : index}½ points so far`)).toBeVisible();
    }
    await quiz.getByRole('button', { name: index === scenarios.length - 1 ? 'See your score' : 'Next scenario' }).click();
  }
  await expect(quiz.locator('[data-quiz-score]')).toHaveText(`${scenarios.length - 1}½ of ${scenarios.length}`);
  await expect(quiz.locator('.ch-summary > li[data-verdict="acceptable"]')).toHaveCount(1);
  await expect(quiz.getByRole('status')).toHaveText('Saved to your progress. Exercise complete ✓');
  // Nothing earned nothing, so there is nothing to retry.
  await expect(quiz.getByRole('button', { name: 'Retry the missed ones' })).toHaveCount(0);
  // The saved attempt counts the best fits; the widget shows the half point again after a reload.
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('rtw:progress:v1') ?? '{}'));
  expect(saved.quiz[0].score).toBe(scenarios.length - 1);
  await page.reload();
  const again = await widget(page, 'scenario-quiz');
  await expect(again.locator('[data-quiz-saved]')).toContainText(`${scenarios.length - 1}½ of ${scenarios.length}`);
});

test('the walker, the diagram and the quiz fit a 360 px phone in dark mode', async ({ browser }) => {
  for (const [device, viewport, colorScheme] of [
    ['desktop', { width: 1366, height: 900 }, 'light'],
    ['phone', { width: 360, height: 780 }, 'dark'],
  ] as const) {
    const context = await browser.newContext({ viewport, colorScheme });
    const page = await context.newPage();
    await page.goto('/lessons/choosing/');
    const walker = await widget(page, 'decision-tree');
    await walker.getByRole('button', { name: 'No, or only now and then' }).click();
    await walker.getByRole('button', { name: 'Yes, within a second' }).click();
    const quiz = await widget(page, 'scenario-quiz');
    await quiz.getByRole('button', { name: 'Server-Sent Events', exact: true }).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `the page is wider than the ${device} viewport`).toBeLessThanOrEqual(0);
    await screenshot(page, `choosing-${device}-${colorScheme}`);
    await context.close();
  }
});
