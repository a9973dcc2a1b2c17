import { readFileSync } from 'node:fs';
import { openExercise, replaceCode } from './code-exercise-page.ts';
import { expect, test } from './fixtures.ts';

/**
 * Lessons 3–5 and 8's "Write it yourself", tried as a learner would: the reference
 * solution typed into the editor passes, verified by the real server; a
 * plausible mistake fails, and the check that failed says why. (Lesson 2's
 * is in code-exercise.test.ts, with the editor's own behaviour.)
 */

function exerciseFile(lesson: string, exercise: string, file: string): string {
  return readFileSync(new URL(`../../content/exercises/${lesson}/${exercise}/${file}`, import.meta.url), 'utf8');
}

interface Case {
  lesson: string;
  exercise: string;
  /** A mistake a learner could make, from the solution or the starter. */
  mistake: { name: string; code: string; failed: string; why: RegExp };
}

const CASES: Case[] = [
  {
    lesson: 'long-polling',
    exercise: 'cursor-loop',
    mistake: {
      name: 'a loop that starts over from cursor 0 after the lost answer',
      code: exerciseFile('long-polling', 'cursor-loop', 'solution.js').replace(
        '    await sleep(500);',
        '    cursor = 0;\n    await sleep(500);',
      ),
      failed: 'exactly-once',
      why: /Event 1 reached the client twice: a poll went back to an older cursor\./,
    },
  },
  {
    lesson: 'server-sent-events',
    exercise: 'resume',
    mistake: {
      name: 'the starter, which opens a new EventSource after the cut',
      code: exerciseFile('server-sent-events', 'resume', 'starter.js').replace('await sleep(15000);', 'await sleep(6000);'),
      failed: 'resumed',
      why: /The new stream sent no Last-Event-ID; the cut stream had sent up to id 3\./,
    },
  },
  {
    lesson: 'websockets',
    exercise: 'outbox',
    mistake: {
      name: 'an outbox that backs off exponentially, with no jitter',
      code: exerciseFile('websockets', 'outbox', 'solution.js').replace('Math.random() * Math.min(', 'Math.min('),
      failed: 'jitter',
      why: /Exponential backoff, but no jitter \(after cut 1: /,
    },
  },
  {
    lesson: 'scaling-out',
    exercise: 'failover',
    mistake: {
      name: 'a failover that opens a fresh stream on a',
      code: exerciseFile('scaling-out', 'failover', 'solution.js').replace(
        "lastId === '' ? run.urls[instance]",
        'true ? run.urls[instance]',
      ),
      failed: 'resumed',
      why: /The stream on a gave no last id; b had sent up to 3\./,
    },
  },
];

for (const { lesson, exercise, mistake } of CASES) {
  test.describe(`${lesson}: ${exercise}`, () => {
    test.setTimeout(90_000);

    test('the solution passes, verified by the server, and the progress page says so', async ({ page }) => {
      const opened = await openExercise(page, lesson);
      await replaceCode(page, opened, exerciseFile(lesson, exercise, 'solution.js'));
      await opened.getByRole('button', { name: 'Run' }).click();
      await expect(opened.getByRole('status').filter({ hasText: /^Passed: all \d+ checks, verified by the server\.$/ })).toBeVisible({
        timeout: 60_000,
      });
      await page.goto('/progress/');
      await expect(page.locator(`tr[data-lesson="${lesson}"]`)).toContainText(`${exercise} ✓ verified by the server`);
    });

    test(`${mistake.name} fails, and the check says why`, async ({ page }) => {
      const opened = await openExercise(page, lesson);
      await replaceCode(page, opened, mistake.code);
      await opened.getByRole('button', { name: 'Run' }).click();
      await expect(opened.getByRole('status').filter({ hasText: /^Not yet: \d+ of \d+ checks failed\.$/ })).toBeVisible({
        timeout: 60_000,
      });
      // The failed check, and why, in the learner's words: what the server saw.
      const failed = opened.locator('.widget-check-missed', { has: page.locator(`[data-check="${mistake.failed}"]`) });
      await expect(failed).toContainText(mistake.why);
    });
  });
}
