import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { Progress, ProgressResponse } from '../../src/protocol/progress.ts';
import { mergeProgress, normalizeProgress, resetProgressAt } from '../../src/protocol/merge-progress.ts';
import { ServerSync, type LocalProgressStore } from '../../src/progress/server-sync.ts';
import { settle } from './support/fake-time.ts';

/** A browser's local store, in memory. */
class FakeLocal implements LocalProgressStore {
  progress: Progress = { lessons: {} };
  readonly #listeners = new Set<() => void>();
  read = () => this.progress;
  adopt = (other: Progress) => (this.progress = mergeProgress(this.progress, other));
  onChange = (listener: () => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };
  /** A change made in this tab. */
  change(next: Progress): void {
    this.progress = normalizeProgress(next);
    this.#listeners.forEach((listener) => listener());
  }
  /** A change another tab made (a `storage` event): the store changes, no listener is told. */
  changeFromAnotherTab(next: Progress): void {
    this.progress = normalizeProgress(next);
  }
}

/** The progress API, in memory, with a switch to be unreachable. */
class FakeServer {
  stored: Progress = { lessons: {} };
  requests: string[] = [];
  reachable = true;
  unknownLessons = new Set<string>();
  /** The browser sends a malformed cookie: the next answer is 400 and expires it. */
  badCookie = false;
  /** The next PUTs are answered 429 with this `Retry-After` (seconds), as a rate limit would. */
  throttledPuts = 0;
  retryAfterSeconds = 30;

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    this.requests.push(method);
    if (!this.reachable) throw new TypeError('Failed to fetch');
    if (this.badCookie) {
      this.badCookie = false;
      return Response.json({ type: PROBLEM_TYPES.invalidLearner, status: 400 }, { status: 400 });
    }
    if (method === 'PUT' && this.throttledPuts > 0) {
      this.throttledPuts -= 1;
      return Response.json(
        { type: PROBLEM_TYPES.rateLimited, status: 429, detail: 'This address saved progress too often.' },
        { status: 429, headers: { 'Retry-After': String(this.retryAfterSeconds) } },
      );
    }
    if (method === 'PUT') {
      const body = JSON.parse(String(init.body)) as Progress;
      const unknown = Object.keys(body.lessons).filter((slug) => this.unknownLessons.has(slug));
      if (unknown.length > 0) {
        return Response.json({ type: PROBLEM_TYPES.unknownLesson, status: 422, lessons: unknown }, { status: 422 });
      }
      this.stored = mergeProgress(this.stored, body);
    }
    if (method === 'DELETE') this.stored = resetProgressAt(this.stored, Date.now());
    return Response.json({ progress: this.stored, updatedAt: 1, verified: {} } satisfies ProgressResponse);
  };
}

describe('ServerSync', () => {
  let local: FakeLocal;
  let server: FakeServer;
  let sync: ServerSync;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    local = new FakeLocal();
    server = new FakeServer();
    sync = new ServerSync({ local, fetch: server.fetch, debounceMs: 1_000, retryMs: 5_000, maxRetryMs: 20_000 });
  });
  afterEach(() => {
    sync.stop();
    mock.timers.reset();
  });

  it('on load, brings in the server copy and uploads only if the local copy had more', async () => {
    server.stored = { lessons: { sse: { completedAt: 10 } } };
    await sync.start();
    assert.deepEqual(local.progress.lessons, { sse: { completedAt: 10 } });
    mock.timers.tick(0);
    await settle();
    assert.deepEqual(server.requests, ['GET'], 'nothing new to upload');

    const other = new FakeLocal();
    other.progress = { lessons: { websockets: { visitedAt: 20 } } };
    const otherSync = new ServerSync({ local: other, fetch: server.fetch });
    await otherSync.start();
    mock.timers.tick(0);
    await settle();
    otherSync.stop();
    assert.deepEqual(Object.keys(server.stored.lessons), ['sse', 'websockets']);
    assert.deepEqual(other.progress, server.stored);
  });

  it('debounces a burst of local changes into one upload, and adopts the answer', async () => {
    await sync.start();
    server.stored = { lessons: { 'short-polling': { completedAt: 5 } } }; // another browser context saved meanwhile
    local.change({ lessons: { sse: { visitedAt: 1 } } });
    mock.timers.tick(500);
    local.change({ lessons: { sse: { visitedAt: 2 } } });
    mock.timers.tick(999);
    assert.deepEqual(server.requests, ['GET']);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(server.requests, ['GET', 'PUT']);
    assert.deepEqual(Object.keys(local.progress.lessons), ['short-polling', 'sse']);
    assert.equal(sync.hasUnsyncedChanges(), false);
  });

  it('does not upload what another tab changed (that tab does)', async () => {
    await sync.start();
    local.changeFromAnotherTab({ lessons: { sse: { visitedAt: 1 } } });
    mock.timers.tick(10_000);
    await settle();
    assert.deepEqual(server.requests, ['GET']);
  });

  it('retries a 429 after the Retry-After the server gave, not sooner, and not never', async () => {
    await sync.start();
    server.throttledPuts = 1;
    local.change({ lessons: { sse: { completedAt: 9 } } });
    mock.timers.tick(1_000);
    await settle();
    assert.deepEqual(server.requests, ['GET', 'PUT']);
    assert.equal(sync.status.value.state, 'failed');
    assert.match(sync.status.value.message ?? '', /retrying in 30 s/);

    mock.timers.tick(29_999);
    await settle();
    assert.deepEqual(server.requests, ['GET', 'PUT'], 'waits for Retry-After');
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(server.requests, ['GET', 'PUT', 'PUT']);
    assert.deepEqual(server.stored.lessons, { sse: { completedAt: 9 } });
    assert.equal(sync.status.value.state, 'synced');
  });

  it('keeps the local copy when the server is unreachable, and retries with backoff', async () => {
    server.reachable = false;
    await sync.start();
    assert.equal(sync.status.value.state, 'offline');
    local.change({ lessons: { sse: { completedAt: 7 } } });
    mock.timers.tick(1_000);
    await settle();
    assert.deepEqual(local.progress.lessons, { sse: { completedAt: 7 } });
    const failedSoFar = server.requests.length;

    // Two failures so far (the GET, then the PUT): the next try waits 10 s.
    server.reachable = true;
    mock.timers.tick(9_999);
    await settle();
    assert.equal(server.requests.length, failedSoFar);
    mock.timers.tick(1);
    await settle();
    assert.equal(server.requests.length, failedSoFar + 1);
    assert.deepEqual(server.stored.lessons, { sse: { completedAt: 7 } });
    assert.equal(sync.status.value.state, 'synced');
  });

  it('retries at once when the browser comes back online', async () => {
    server.reachable = false;
    await sync.start();
    local.change({ lessons: { sse: { completedAt: 7 } } });
    mock.timers.tick(1_000);
    await settle();
    server.reachable = true;
    sync.retryNow();
    mock.timers.tick(0);
    await settle();
    assert.deepEqual(server.stored.lessons, { sse: { completedAt: 7 } });
  });

  it('leaves out lessons the server does not know and uploads the rest', async () => {
    server.unknownLessons.add('lesson-from-a-newer-site');
    await sync.start();
    local.change({ lessons: { sse: { completedAt: 7 }, 'lesson-from-a-newer-site': { visitedAt: 3 } } });
    mock.timers.tick(1_000);
    await settle();
    assert.deepEqual(server.stored.lessons, { sse: { completedAt: 7 } });
    assert.ok(local.progress.lessons['lesson-from-a-newer-site'], 'kept in the browser');
    assert.equal(sync.hasUnsyncedChanges(), false, 'and not uploaded again and again');
  });

  it('after a malformed cookie was refused (and expired), saves what the browser has as a new learner', async () => {
    server.badCookie = true;
    local.progress = { lessons: { sse: { completedAt: 7 } } };
    await sync.start();
    mock.timers.tick(0);
    await settle();
    assert.deepEqual(server.requests, ['GET', 'PUT']);
    assert.deepEqual(server.stored.lessons, { sse: { completedAt: 7 } });
  });

  it('resets on the server and adopts the reset', async () => {
    server.stored = { lessons: { sse: { completedAt: Date.now() + 60_000 } } };
    await sync.start();
    local.change(resetProgressAt(local.progress, Date.now()));
    await sync.reset();
    assert.deepEqual(server.requests.slice(-1), ['DELETE']);
    assert.deepEqual(local.progress.lessons, {});
    assert.deepEqual(server.stored.lessons, {});
  });
});
