import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { LEARNER_COOKIE, PROGRESS_LIMITS, type Progress, type ProgressResponse } from '../../src/protocol/progress.ts';
import { DATABASE_FILE, migrateSqlite, openSqliteDatabase, sqliteSchemaVersion } from '../../server/store/sqlite-database.ts';
import { SQLITE_MIGRATIONS } from '../../server/store/sqlite-migrations.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';

const completedShortPolling: Progress = {
  lessons: { 'short-polling': { visitedAt: 1_000, completedAt: 2_000, exercises: { 'etag-run': 2_000 } } },
  quiz: [{ id: 'attempt-1', at: 3_000, score: 4, total: 5, answers: { dashboard: 'sse' } }],
  last: { lesson: 'short-polling', section: 'etags', at: 2_500 },
};

describe('the progress API', () => {
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'rtw-progress-'));
    server = await startServer({ config: { dataDir } });
  });
  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const url = () => `${server.baseUrl}${apiRoutes.progress.path()}`;
  const cookieHeader = (id: string) => ({ Cookie: `${LEARNER_COOKIE}=${id}` });

  async function put(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(url(), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function get(id?: string): Promise<ProgressResponse> {
    const response = await fetch(url(), { headers: id ? cookieHeader(id) : {} });
    assert.equal(response.status, 200);
    return (await response.json()) as ProgressResponse;
  }

  /** Saves `progress` as a new learner; returns the learner id from the cookie. */
  async function newLearner(progress: Progress = completedShortPolling): Promise<string> {
    const response = await put(progress);
    assert.equal(response.status, 200);
    return learnerIdFrom(response)!;
  }

  /** Reads the database file beside the running server (WAL lets a reader in). */
  function countLearners(): number {
    const database = new DatabaseSync(path.join(dataDir, DATABASE_FILE), { readOnly: true });
    try {
      return (database.prepare('SELECT count(*) AS n FROM learners').get() as { n: number }).n;
    } finally {
      database.close();
    }
  }

  it('answers a visitor without a cookie with empty progress, and records nobody', async () => {
    const before = countLearners();
    const response = await fetch(url());
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.getSetCookie().length, 0);
    assert.deepEqual(await response.json(), { progress: { lessons: {} }, updatedAt: null, verified: {} });
    assert.equal(countLearners(), before);
  });

  it('creates the learner on the first PUT and sets an httpOnly, SameSite cookie for a year', async () => {
    const response = await put(completedShortPolling);
    assert.equal(response.status, 200);
    const [cookie, ...more] = response.headers.getSetCookie();
    assert.equal(more.length, 0);
    assert.match(cookie!, /^rtw_learner=[A-Za-z0-9_-]{22}; /);
    const attributes = cookie!.split('; ').slice(1);
    assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=31536000', 'Path=/', 'SameSite=Lax']);

    const saved = (await response.json()) as ProgressResponse;
    assert.deepEqual(saved.progress, completedShortPolling);
    assert.equal(typeof saved.updatedAt, 'number');

    const id = learnerIdFrom(response)!;
    assert.deepEqual(await get(id), saved);
  });

  it('marks the cookie Secure when the request came over HTTPS through a proxy', async () => {
    const response = await put({ lessons: {} }, { 'X-Forwarded-Proto': 'https' });
    assert.match(response.headers.getSetCookie()[0]!, /; Secure/);
  });

  it('merges each PUT into what is stored: completion is never lost, the latest position wins', async () => {
    const id = await newLearner();
    const otherDevice: Progress = {
      lessons: { 'short-polling': { visitedAt: 4_000 }, 'long-polling': { visitedAt: 4_100 } },
      last: { lesson: 'long-polling', section: 'cursors', at: 4_100 },
    };
    const response = await put(otherDevice, cookieHeader(id));
    assert.equal(response.status, 200);
    const merged = ((await response.json()) as ProgressResponse).progress;

    assert.deepEqual(merged.lessons['short-polling'], {
      visitedAt: 4_000,
      completedAt: 2_000,
      exercises: { 'etag-run': 2_000 },
    });
    assert.deepEqual(merged.lessons['long-polling'], { visitedAt: 4_100 });
    assert.deepEqual(merged.last, otherDevice.last);
    assert.deepEqual(merged.quiz, completedShortPolling.quiz);
    assert.deepEqual((await get(id)).progress, merged);
  });

  it('keeps a learner id it did not issue but that is well formed (its data dir was wiped)', async () => {
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    const response = await put(completedShortPolling, cookieHeader(id));
    assert.equal(response.status, 200);
    assert.match(response.headers.getSetCookie()[0]!, new RegExp(`^rtw_learner=${id};`));
  });

  describe('refuses bad input with a problem and changes nothing', () => {
    const tooMany = Object.fromEntries(
      Array.from({ length: PROGRESS_LIMITS.maxExercisesPerLesson + 1 }, (_, i) => [`exercise-${i}`, 5_000]),
    );
    const cases: {
      name: string;
      body: unknown;
      headers?: Record<string, string>;
      status: number;
      type: string;
      check?: (problem: ProblemDetails) => void;
    }[] = [
      {
        name: 'an unknown lesson',
        body: { lessons: { 'lesson-42': { completedAt: 5_000 } } },
        status: 422,
        type: PROBLEM_TYPES.unknownLesson,
        check: (problem) => {
          assert.deepEqual(problem.lessons, ['lesson-42']);
          assert.match(problem.detail, /lesson-42/);
        },
      },
      {
        name: 'an unknown lesson in last',
        body: { lessons: {}, last: { lesson: 'nope', at: 5_000 } },
        status: 422,
        type: PROBLEM_TYPES.unknownLesson,
      },
      {
        name: 'bad JSON',
        body: '{"lessons": {',
        status: 400,
        type: PROBLEM_TYPES.invalidJson,
      },
      {
        name: 'a body that is not an object',
        body: [completedShortPolling],
        status: 400,
        type: PROBLEM_TYPES.invalidBody,
      },
      { name: 'null', body: 'null', status: 400, type: PROBLEM_TYPES.invalidBody },
      {
        name: 'wrong types',
        body: { lessons: { 'short-polling': { completedAt: 'yesterday' } } },
        status: 400,
        type: PROBLEM_TYPES.invalidProgress,
        check: (problem) => assert.equal(problem.field, '/lessons/short-polling/completedAt'),
      },
      {
        name: 'too many entries',
        body: { lessons: { 'short-polling': { exercises: tooMany } } },
        status: 400,
        type: PROBLEM_TYPES.invalidProgress,
        check: (problem) => assert.equal(problem.field, '/lessons/short-polling/exercises'),
      },
      {
        name: 'an unknown member',
        body: { lessons: {}, completed: ['short-polling'] },
        status: 400,
        type: PROBLEM_TYPES.invalidProgress,
      },
      {
        name: 'an oversize body',
        body: { lessons: {}, padding: 'x'.repeat(PROGRESS_LIMITS.maxBodyBytes) },
        status: 413,
        type: PROBLEM_TYPES.generic,
        check: (problem) => assert.equal(problem.maxBytes, PROGRESS_LIMITS.maxBodyBytes),
      },
      {
        name: 'a body that is not JSON',
        body: 'lessons=short-polling',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        status: 415,
        type: PROBLEM_TYPES.generic,
      },
      { name: 'an empty body', body: '', status: 400, type: PROBLEM_TYPES.invalidBody },
    ];

    for (const { name, body, headers, status, type, check } of cases) {
      it(`${name} → ${status}`, async () => {
        const id = await newLearner();
        const before = await get(id);
        const learners = countLearners();

        const response = await put(body, { ...cookieHeader(id), ...headers });
        assert.equal(response.status, status);
        assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
        const problem = (await response.json()) as ProblemDetails;
        assert.equal(problem.type, type);
        assert.equal(problem.status, status);
        check?.(problem);

        assert.deepEqual(await get(id), before);
        assert.equal(countLearners(), learners);
        // Nor does a bad body from a visitor without a cookie create a learner.
        const anonymous = await put(body, headers ?? {});
        assert.equal(anonymous.status, status);
        assert.equal(anonymous.headers.getSetCookie().length, 0);
        assert.equal(countLearners(), learners);
      });
    }

    for (const value of ['not-a-learner-id', 'A'.repeat(23), 'AAAAAAAAAAAAAAAAAAAA+A']) {
      it(`a malformed cookie (${value}) → 400 on GET, PUT and DELETE, and the cookie is cleared`, async () => {
        const learners = countLearners();
        for (const method of ['GET', 'PUT', 'DELETE']) {
          const response = await fetch(url(), {
            method,
            headers: { Cookie: `theme=dark; ${LEARNER_COOKIE}=${value}`, 'Content-Type': 'application/json' },
            body: method === 'PUT' ? JSON.stringify(completedShortPolling) : undefined,
          });
          assert.equal(response.status, 400, method);
          assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
          assert.equal(((await response.json()) as ProblemDetails).type, PROBLEM_TYPES.invalidLearner);
          assert.match(response.headers.getSetCookie()[0]!, /^rtw_learner=; .*Max-Age=0/);
        }
        assert.equal(countLearners(), learners);
      });
    }

    it('another method → 405 with Allow', async () => {
      const response = await fetch(url(), { method: 'POST' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
    });
  });

  it('DELETE resets: a stale copy cannot bring the old progress back, later activity survives', async () => {
    const id = await newLearner();
    const response = await fetch(url(), { method: 'DELETE', headers: cookieHeader(id) });
    assert.equal(response.status, 200);
    const reset = (await response.json()) as ProgressResponse;
    assert.deepEqual(reset.progress.lessons, {});
    assert.ok(reset.progress.resetAt! > 3_000);
    assert.deepEqual(await get(id), reset);

    // A second tab or device still holding the old progress uploads it: it stays reset.
    const stale = await put(completedShortPolling, cookieHeader(id));
    assert.deepEqual(((await stale.json()) as ProgressResponse).progress, reset.progress);

    // Something done after the reset counts.
    const later = reset.progress.resetAt! + 1_000;
    const fresh = await put({ lessons: { 'long-polling': { completedAt: later } } }, cookieHeader(id));
    assert.deepEqual(((await fresh.json()) as ProgressResponse).progress.lessons, {
      'long-polling': { completedAt: later },
    });
  });

  it('DELETE without a cookie answers empty progress and records nobody', async () => {
    const learners = countLearners();
    const response = await fetch(url(), { method: 'DELETE' });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { progress: { lessons: {} }, updatedAt: null, verified: {} });
    assert.equal(countLearners(), learners);
  });

  it('keeps the progress across a server restart on the same DATA_DIR, migrating once', async () => {
    const id = await newLearner();
    const saved = await get(id);
    await server.stop();

    server = await startServer({ config: { dataDir } });
    assert.deepEqual(await get(id), saved);

    const database = new DatabaseSync(path.join(dataDir, DATABASE_FILE), { readOnly: true });
    try {
      assert.equal(sqliteSchemaVersion(database), SQLITE_MIGRATIONS.length);
      assert.equal((database.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    } finally {
      database.close();
    }
  });
});

describe('the database', () => {
  it('runs each migration once, tracked by user_version', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rtw-db-'));
    try {
      const first = openSqliteDatabase(dataDir);
      assert.equal(sqliteSchemaVersion(first), SQLITE_MIGRATIONS.length);
      assert.equal(migrateSqlite(first), 0, 'nothing left to apply');
      first.close();

      const again = openSqliteDatabase(dataDir);
      assert.equal(sqliteSchemaVersion(again), SQLITE_MIGRATIONS.length);
      again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('applies only the new migrations, and refuses a database newer than the code', () => {
    const database = openSqliteDatabase(':memory:', SQLITE_MIGRATIONS);
    const extra = [...SQLITE_MIGRATIONS, { description: 'a later table', sql: 'CREATE TABLE later (id INTEGER PRIMARY KEY) STRICT;' }];
    assert.equal(migrateSqlite(database, extra), 1);
    assert.equal(sqliteSchemaVersion(database), extra.length);
    assert.throws(
      () => migrateSqlite(database, SQLITE_MIGRATIONS),
      new RegExp(`schema version ${extra.length}; this server knows ${SQLITE_MIGRATIONS.length}`),
    );
    database.close();
  });

  it('rolls back a migration that fails, leaving the version as it was', () => {
    const database = openSqliteDatabase(':memory:');
    const broken = [...SQLITE_MIGRATIONS, { description: 'broken', sql: 'CREATE TABLE ok (id INTEGER); NOT SQL' }];
    assert.throws(() => migrateSqlite(database, broken));
    assert.equal(sqliteSchemaVersion(database), SQLITE_MIGRATIONS.length);
    assert.equal(database.prepare("SELECT name FROM sqlite_master WHERE name = 'ok'").get(), undefined);
    database.close();
  });

  it('says which directory it could not use', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'rtw-db-'));
    try {
      // A directory cannot be made inside a file.
      const file = path.join(parent, 'a-file');
      writeFileSync(file, '');
      assert.throws(() => openSqliteDatabase(path.join(file, 'data')), /Cannot create DATA_DIR .*a-file\/data/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
