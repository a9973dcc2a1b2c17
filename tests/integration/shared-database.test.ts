import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { Progress, ProgressResponse } from '../../src/protocol/progress.ts';

import { readKnownLessons } from '../../server/progress/known-lessons.ts';
import { freePort } from '../harness/ports.ts';
import { startTestPostgres } from '../harness/postgres-server.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';
import { asLearner, jsonRequest, workshopClient } from './helpers/workshops.ts';

const postgres = await startTestPostgres();
after(() => postgres.stop());

const [firstLesson, secondLesson] = readKnownLessons();

function putProgress(server: RunningServer, progress: Progress, learnerId?: string): Promise<Response> {
  return fetch(`${server.baseUrl}${apiRoutes.progress.path()}`, jsonRequest('PUT', progress, learnerId ? asLearner(learnerId) : {}));
}

async function getProgress(server: RunningServer, learnerId: string): Promise<ProgressResponse> {
  const response = await fetch(`${server.baseUrl}${apiRoutes.progress.path()}`, { headers: asLearner(learnerId) });
  assert.equal(response.status, 200);
  return (await response.json()) as ProgressResponse;
}

describe('two instances on one PostgreSQL (DATABASE_URL)', { skip: postgres.skip }, () => {
  let first: RunningServer;
  let second: RunningServer;

  before(async () => {
    const databaseUrl = await postgres.createDatabase();
    // Started together: both migrate the new database at once, and one waits for the other.
    [first, second] = await Promise.all([startServer({ config: { databaseUrl } }), startServer({ config: { databaseUrl } })]);
  });
  after(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('reads through one instance the progress saved through the other', async () => {
    const saved = await putProgress(first, { lessons: { [firstLesson!]: { visitedAt: 1_000, completedAt: 2_000 } } });
    assert.equal(saved.status, 200);
    const learnerId = learnerIdFrom(saved)!;
    assert.deepEqual(await getProgress(second, learnerId), await saved.json());
    assert.deepEqual([...first.errors, ...second.errors], []);
  });

  it('keeps both completions when the two instances save for one learner at the same time', async () => {
    const learnerId = learnerIdFrom(await putProgress(first, { lessons: {} }))!;
    const [a, b] = await Promise.all([
      putProgress(first, { lessons: { [firstLesson!]: { completedAt: 3_000 } } }, learnerId),
      putProgress(second, { lessons: { [secondLesson!]: { completedAt: 3_000 } } }, learnerId),
    ]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    const { progress } = await getProgress(first, learnerId);
    assert.deepEqual(Object.keys(progress.lessons).sort(), [firstLesson, secondLesson].sort());
  });

  it('shares workshops: one created on one instance is found on the other, and a name is taken across both', async () => {
    const { workshop } = await workshopClient(first.baseUrl).create('Shared');
    // The second instance loads the workshop now, before anyone joins.
    assert.equal((await fetch(`${second.baseUrl}${apiRoutes.workshop.path({ code: workshop.code })}`)).status, 200);
    await workshopClient(first.baseUrl).join(workshop.code, 'Ada');
    const clash = await fetch(
      `${second.baseUrl}${apiRoutes.workshopMembers.path({ code: workshop.code })}`,
      jsonRequest('POST', { name: 'ada' }),
    );
    assert.equal(clash.status, 409);
    assert.equal(((await clash.json()) as { type: string }).type, PROBLEM_TYPES.nameTaken);
  });
});

describe('an instance whose PostgreSQL goes away', { skip: postgres.skip }, () => {
  let proxy: TcpProxy;
  let server: RunningServer;

  before(async () => {
    const url = new URL(await postgres.createDatabase());
    // The app reaches the database through a hop the test can cut.
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.host = `127.0.0.1:${proxy.port}`;
    server = await startServer({ config: { databaseUrl: url.toString() } });
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
  });

  it('answers 503 backend-unavailable with Retry-After while it is gone, and serves again once it is back', async () => {
    assert.equal((await putProgress(server, { lessons: {} })).status, 200);

    await proxy.cut();
    const refused = await putProgress(server, { lessons: {} });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(((await refused.json()) as { type: string }).type, PROBLEM_TYPES.backendUnavailable);
    // The operator is told once, not for every request.
    assert.equal((await putProgress(server, { lessons: {} })).status, 503);
    assert.equal(server.errors.filter((line) => line.startsWith('The database reported a problem')).length, 1);

    await proxy.restore();
    assert.equal((await putProgress(server, { lessons: {} })).status, 200);
  });
});

describe('a server whose DATABASE_URL answers nothing', () => {
  it('stops at start with one line naming the database, its password masked, and exit code 1', async () => {
    const port = await freePort();
    const start = promisify(execFile)(process.execPath, ['server/index.ts'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { ...process.env, API_ONLY: '1', PORT: '0', DATABASE_URL: `postgres://workbook:s3cret@127.0.0.1:${port}/workbook` },
      timeout: 20_000,
    });
    await assert.rejects(start, (error: { code: number; stdout: string; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(
        error.stderr,
        new RegExp(
          `^Cannot use the PostgreSQL database postgres://workbook:\\*\\*\\*@127\\.0\\.0\\.1:${port}/workbook \\(DATABASE_URL\\): .*ECONNREFUSED.*\\n$`,
        ),
      );
      assert.doesNotMatch(error.stderr + error.stdout, /s3cret/);
      return true;
    });
  });
});
