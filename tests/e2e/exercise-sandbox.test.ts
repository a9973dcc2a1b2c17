import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { ExerciseRun } from '../../src/protocol/exercise-runs.ts';
import type { StartJobResponse } from '../../src/protocol/jobs.ts';
import { expect, test } from './fixtures.ts';

/**
 * The sandbox that runs a learner's code (GET /api/exercise-sandbox, src/exercises/sandbox-frame.js),
 * driven from a lesson page the way src/exercises/sandbox-runner.ts drives it: a hidden
 * <iframe sandbox="allow-scripts">, postMessage in both directions, and the frame removed to end a run.
 * The run is a real job on the real server; only its descriptor is made here, since the
 * exercise-run routes are not in this branch.
 */

interface FrameResult {
  messages: { kind: string; text?: string; message?: string; line?: number; count?: number; outcome?: string }[];
  /** `done`'s outcome, or `timed-out` when the page removed the frame first. */
  ended: string;
}

async function realRun(page: Page): Promise<ExerciseRun> {
  const started = await page.request.post(apiRoutes.jobs.path(), { data: { durationMs: 4_000 } });
  const job = (await started.json()) as StartJobResponse;
  const origin = new URL(page.url()).origin;
  const now = Date.now();
  return {
    id: 'e2e-sandbox',
    lesson: 'short-polling',
    exercise: 'etag-poller',
    channel: job.channel,
    urls: { job: `${origin}${apiRoutes.job.path({ id: job.id })}` },
    startedAt: now,
    endsAt: now + 20_000,
  };
}

/** Runs `code` in a fresh sandbox frame; after `limitMs` the page stops it and removes the frame. */
function runInFrame(page: Page, code: string, run: ExerciseRun, { limitMs = 10_000, maxRequests = 20 } = {}): Promise<FrameResult> {
  return page.evaluate(
    ({ code, run, limitMs, maxRequests, frameUrl }) =>
      new Promise<FrameResult>((resolve) => {
        const frame = document.createElement('iframe');
        frame.sandbox.add('allow-scripts');
        frame.hidden = true;
        frame.src = frameUrl;
        const messages: FrameResult['messages'] = [];
        const end = (ended: string) => {
          window.removeEventListener('message', listen);
          frame.remove();
          resolve({ messages, ended });
        };
        const timer = setTimeout(() => {
          frame.contentWindow?.postMessage({ kind: 'stop' }, '*');
          setTimeout(() => end('timed-out'), 300);
        }, limitMs);
        function listen(event: MessageEvent) {
          if (event.source !== frame.contentWindow) return;
          if (event.data.kind === 'ready') frame.contentWindow?.postMessage({ kind: 'start', code, run, maxRequests }, '*');
          else if (event.data.kind === 'done') {
            clearTimeout(timer);
            end(event.data.outcome);
          } else messages.push(event.data);
        }
        window.addEventListener('message', listen);
        document.body.append(frame);
      }),
    { code, run, limitMs, maxRequests, frameUrl: apiRoutes.exerciseSandbox.path() },
  );
}

const logs = (result: FrameResult) => result.messages.filter((message) => message.kind === 'log').map((message) => message.text);
const errors = (result: FrameResult) => result.messages.filter((message) => message.kind === 'error');

test.beforeEach(async ({ page }) => {
  await page.goto('/lessons/short-polling/');
});

test('the learner code sees no DOM, no cookies and no storage', async ({ page }) => {
  const code = `
    const seen = { document: typeof document, window: typeof window, localStorage: typeof localStorage, cookieStore: typeof cookieStore };
    try {
      await new Promise((resolve, reject) => {
        const request = indexedDB.open('sandbox-probe');
        request.onsuccess = resolve;
        request.onerror = () => reject(request.error);
      });
      seen.indexedDB = 'opened';
    } catch (error) {
      seen.indexedDB = error.name;
    }
    try {
      seen.caches = typeof caches === 'undefined' ? 'absent' : (await caches.keys(), 'opened');
    } catch (error) {
      seen.caches = error.name;
    }
    log(JSON.stringify(seen));
  `;
  const result = await runInFrame(page, code, await realRun(page));

  expect(result.ended).toBe('returned');
  expect(JSON.parse(logs(result)[0] ?? '{}')).toEqual({
    document: 'undefined',
    window: 'undefined',
    localStorage: 'undefined',
    cookieStore: 'undefined',
    indexedDB: 'SecurityError',
    caches: 'absent',
  });
});

test('fetch reaches the companion server without the page’s cookies, reads the ETag and gets a 304 for it', async ({ page }) => {
  const jobRequests: { cookie: string | null; origin: string | null }[] = [];
  page.context().on('request', async (request) => {
    if (request.url().includes('/api/jobs/') && request.method() === 'GET') {
      jobRequests.push({ cookie: await request.headerValue('cookie'), origin: await request.headerValue('origin') });
    }
  });
  const code = `
    const first = await fetch(run.urls.job);
    const job = await first.json();
    log(first.status, job.state, first.headers.get('ETag') !== null);
    const again = await fetch(run.urls.job, { headers: { 'If-None-Match': first.headers.get('ETag') } });
    log(again.status);
  `;
  const result = await runInFrame(page, code, await realRun(page));

  expect(result.ended).toBe('returned');
  expect(logs(result)).toEqual([expect.stringMatching(/^200 (queued|running) true$/), '304']);
  expect(result.messages.filter((message) => message.kind === 'requests').at(-1)?.count).toBe(2);
  expect(jobRequests.length).toBeGreaterThanOrEqual(2);
  for (const request of jobRequests) expect(request).toEqual({ cookie: null, origin: 'null' });
});

test('an endless loop is ended with its frame, and the page stays responsive meanwhile', async ({ page }) => {
  const workers: string[] = [];
  page.on('worker', (worker) => {
    workers.push('started');
    worker.on('close', () => workers.push('closed'));
  });
  const running = runInFrame(page, 'log("looping"); while (true) {}', await realRun(page), { limitMs: 2_000 });

  await expect.poll(() => workers).toContain('started');
  // The page answers while the learner's loop spins.
  expect(await page.evaluate(() => 6 * 7)).toBe(42);
  await page.getByRole('button', { name: /Mark complete/ }).focus();
  const result = await running;

  expect(result.ended).toBe('timed-out');
  expect(logs(result)).toEqual(['looping']);
  await expect.poll(() => workers).toEqual(['started', 'closed']);
});

test('uncaught errors carry the line of the learner’s code; a syntax error too', async ({ page }) => {
  const run = await realRun(page);
  const thrown = await runInFrame(page, 'log("one");\nconst job = null;\njob.state;', run);
  expect(thrown.ended).toBe('threw');
  expect(errors(thrown)).toEqual([expect.objectContaining({ kind: 'error', message: expect.stringMatching(/^TypeError: /), line: 3 })]);

  const broken = await runInFrame(page, 'log("one");\nif (true {\n}', run);
  expect(broken.ended).toBe('threw');
  expect(errors(broken)).toEqual([expect.objectContaining({ kind: 'error', message: expect.stringMatching(/SyntaxError/), line: 2 })]);
});

test('the worker counts requests and refuses those past the run’s limit', async ({ page }) => {
  const code = `
    for (let poll = 1; poll <= 3; poll += 1) await fetch(run.urls.job);
  `;
  const result = await runInFrame(page, code, await realRun(page), { maxRequests: 2 });

  expect(result.ended).toBe('threw');
  expect(errors(result)).toEqual([
    expect.objectContaining({ message: 'Error: This run may send 2 requests at most: this fetch was not sent.', line: 2 }),
  ]);
});

test('lesson 2’s reference solution polls a real job to its end, then stops', async ({ page }) => {
  const solution = readFileSync(new URL('../../content/exercises/short-polling/etag-poller/solution.js', import.meta.url), 'utf8');
  const result = await runInFrame(page, solution, await realRun(page), { limitMs: 20_000 });

  expect(result.ended).toBe('returned');
  expect(errors(result)).toEqual([]);
  const lines = logs(result);
  expect(lines.at(-2)).toMatch(/^200: (succeeded|failed) /);
  expect(lines.at(-1)).toBe('The job has ended: no more polls.');
  // One request per answer it logged: nothing after the terminal state.
  const answers = lines.filter((line) => /^(200|304):/.test(line ?? '')).length;
  expect(result.messages.filter((message) => message.kind === 'requests').at(-1)?.count).toBe(answers);
});

test('a loop that logs without end sends the page 1 000 lines, then one saying the rest is dropped', async ({ page }) => {
  const result = await runInFrame(page, 'for (let line = 1; line <= 5000; line += 1) log(line);', await realRun(page));

  expect(result.ended).toBe('returned');
  const lines = logs(result);
  expect(lines).toHaveLength(1001);
  expect(lines[999]).toBe('1000');
  expect(lines[1000]).toBe("(1000 lines of output shown: the rest of this run's output is dropped)");
});
