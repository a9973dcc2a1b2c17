import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';

/** A route of one workshop, by its code. */
type WorkshopRoute = { path(params: { code: string }): string };
import { WORKSHOP_LIMITS, type CreatedWorkshop, type HostSnapshot } from '../../src/protocol/workshops.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { asLearner, bearer, jsonRequest, workshopClient } from './helpers/workshops.ts';

/** Asserts `response` is a problem of `status` (and `type`, when given). */
async function assertProblem(response: Response, status: number, type?: string): Promise<ProblemDetails> {
  const body = (await response.json()) as ProblemDetails;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
  if (type !== undefined) assert.equal(body.type, type);
  return body;
}

describe('workshops refuse what they must, and change nothing when they do', () => {
  let server: RunningServer;
  let client: ReturnType<typeof workshopClient>;
  let ours: CreatedWorkshop;
  let theirs: CreatedWorkshop;
  let ada: string;
  let bob: string;
  let before_: HostSnapshot;
  const code = () => ours.workshop.code;

  before(async () => {
    server = await startServer();
    client = workshopClient(server.baseUrl);
    ours = await client.create('Ours');
    theirs = await client.create('Theirs');
    ada = (await client.join(code(), 'Ada')).learnerId;
    bob = (await client.join(theirs.workshop.code, 'Bob')).learnerId;
    await client.heartbeat(code(), ada, 'short-polling', ['demo']);
    before_ = await client.snapshot(code(), ours.secret);
  });
  after(async () => {
    // Every refusal below left the workshop as it was, and logged no error.
    const now = await client.snapshot(code(), ours.secret);
    assert.deepEqual({ ...now, cursor: 0 }, { ...before_, cursor: 0 });
    assert.equal(now.cursor, before_.cursor, 'no event was published');
    await server.stop();
    assert.deepEqual(server.errors, []);
  });

  describe('the host secret', () => {
    const hostEndpoints: [string, WorkshopRoute][] = [
      ['POST', apiRoutes.workshopHostSession],
      ['GET', apiRoutes.workshopHost],
      ['GET', apiRoutes.workshopHostStream],
      ['POST', apiRoutes.workshopGoto],
      ['POST', apiRoutes.workshopBroadcast],
      ['PUT', apiRoutes.workshopState],
      ['GET', apiRoutes.workshopResults],
    ];

    it('answers 401 with WWW-Authenticate without one, before reading any body', async () => {
      for (const [method, route] of hostEndpoints) {
        const init: RequestInit = { method };
        if (method !== 'GET') Object.assign(init, { headers: { 'Content-Type': 'application/json' }, body: '{oops' });
        const response = await fetch(client.url(route.path({ code: code() })), init);
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="workshop"', `${method} ${route.path({ code: code() })}`);
        await assertProblem(response, 401, PROBLEM_TYPES.hostSecretRequired);
      }
    });

    it("answers 403 for a wrong secret, another workshop's secret, or another workshop's cookie", async () => {
      for (const [method, route] of hostEndpoints) {
        for (const headers of [
          bearer('not-the-secret'),
          bearer(theirs.secret),
          { Authorization: `Basic ${Buffer.from(`x:${ours.secret}`).toString('base64')}` },
          { Cookie: `rtw_host=${theirs.secret}` },
        ]) {
          const response = await fetch(client.url(route.path({ code: code() })), { method, headers });
          await assertProblem(response, 403, PROBLEM_TYPES.hostSecretWrong);
        }
      }
    });

    it('answers 404 for an unknown code and 400 for a malformed one, secret or not', async () => {
      await assertProblem(
        await fetch(client.url(apiRoutes.workshopHost.path({ code: 'ZZZZZZ' })), { headers: bearer(ours.secret) }),
        404,
        PROBLEM_TYPES.unknownWorkshop,
      );
      await assertProblem(await fetch(client.url(apiRoutes.workshopHost.path({ code: 'ZZZZZZ' }))), 404, PROBLEM_TYPES.unknownWorkshop);
      for (const malformed of ['ABC', 'OOOOOO', 'ABCDEFG', '<b>']) {
        await assertProblem(await fetch(client.url(apiRoutes.workshop.path({ code: malformed }))), 400, PROBLEM_TYPES.invalidJoinCode);
      }
    });
  });

  describe('learners', () => {
    it("are strangers to other workshops: 404 on another workshop's /me, stream, heartbeat", async () => {
      for (const [method, route] of [
        ['GET', apiRoutes.workshopMe],
        ['GET', apiRoutes.workshopLearnerStream],
        ['DELETE', apiRoutes.workshopMe],
      ] as const) {
        const response = await fetch(client.url(route.path({ code: theirs.workshop.code })), { method, headers: asLearner(ada) });
        await assertProblem(response, 404, PROBLEM_TYPES.notAMember);
      }
      const response = await fetch(
        client.url(apiRoutes.workshopHeartbeat.path({ code: code() })),
        jsonRequest('POST', { lesson: null, channels: [] }, asLearner(bob)),
      );
      await assertProblem(response, 404, PROBLEM_TYPES.notAMember);
      await assertProblem(await fetch(client.url(apiRoutes.workshopMe.path({ code: code() }))), 404, PROBLEM_TYPES.notAMember);
    });

    it('see only their own membership, never another member', async () => {
      const other = await client.join(theirs.workshop.code, 'Carol');
      const me = await fetch(client.url(apiRoutes.workshopMe.path({ code: theirs.workshop.code })), {
        headers: asLearner(other.learnerId),
      });
      const text = await me.text();
      assert.equal(text.includes('Bob'), false);
      assert.equal(text.includes(bob), false);
      const shown = await fetch(client.url(apiRoutes.workshop.path({ code: theirs.workshop.code })));
      assert.deepEqual(Object.keys(await shown.json()).sort(), ['code', 'state', 'title']);
    });

    it('with a malformed cookie get 400 invalid-learner', async () => {
      const response = await fetch(client.url(apiRoutes.workshopMe.path({ code: code() })), { headers: { Cookie: 'rtw_learner=nope' } });
      await assertProblem(response, 400, PROBLEM_TYPES.invalidLearner);
    });
  });

  describe('bad input', () => {
    const join = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(client.url(apiRoutes.workshopMembers.path({ code: code() })), jsonRequest('POST', body, headers));
    const heartbeat = (body: unknown) =>
      fetch(client.url(apiRoutes.workshopHeartbeat.path({ code: code() })), jsonRequest('POST', body, asLearner(ada)));

    it('refuses names that are empty, too long, markup, control characters or not text', async () => {
      for (const name of [
        '',
        '   ',
        'x'.repeat(WORKSHOP_LIMITS.maxNameLength + 1),
        '<b>Eve</b>',
        'Eve\u0007',
        'Eve\nBob',
        'Ada\tLovelace',
        'E\u200Bve',
        'Eve\udfff',
        42,
        null,
      ]) {
        await assertProblem(await join({ name }), 400, PROBLEM_TYPES.invalidName);
      }
      // 32 characters fit, counted in code points (an emoji is one).
      const longest = '😀'.repeat(WORKSHOP_LIMITS.maxNameLength);
      const fits = await join({ name: longest });
      assert.equal(fits.status, 201);
      const cookie = fits.headers.getSetCookie()[0]!.split(';')[0]!;
      const left = await fetch(client.url(apiRoutes.workshopMe.path({ code: code() })), { method: 'DELETE', headers: { Cookie: cookie } });
      assert.equal(left.status, 204);
      // Leaving took them off the grid's active members but not out of it: put the baseline back in line.
      before_ = await client.snapshot(code(), ours.secret);
    });

    it('refuses a name another active member has, whatever its case', async () => {
      await assertProblem(await join({ name: 'ADA' }), 409, PROBLEM_TYPES.nameTaken);
      await assertProblem(await join({ name: ' ada ' }), 409, PROBLEM_TYPES.nameTaken);
    });

    it('refuses bad JSON, a wrong content type, an oversized body and unknown members', async () => {
      await assertProblem(await join('{"name":'), 400, PROBLEM_TYPES.invalidJson);
      const text = await fetch(client.url(apiRoutes.workshopMembers.path({ code: code() })), {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'Eve',
      });
      await assertProblem(text, 415);
      await assertProblem(await join({ name: 'x'.repeat(WORKSHOP_LIMITS.maxBodyBytes) }), 413);
      await assertProblem(await join({ name: 'Eve', admin: true }), 400, PROBLEM_TYPES.invalidBody);
      await assertProblem(await join(['Eve']), 400, PROBLEM_TYPES.invalidBody);
    });

    it('refuses heartbeats with an unknown lesson, bad or too many channels', async () => {
      await assertProblem(await heartbeat({ lesson: 'no-such-lesson', channels: [] }), 422, PROBLEM_TYPES.unknownLesson);
      await assertProblem(await heartbeat({ lesson: 7, channels: [] }), 400, PROBLEM_TYPES.invalidBody);
      await assertProblem(await heartbeat({ lesson: null, channels: 'demo' }), 400, PROBLEM_TYPES.invalidBody);
      await assertProblem(await heartbeat({ lesson: null, channels: ['bad channel'] }), 400, PROBLEM_TYPES.invalidChannel);
      const tooMany = Array.from({ length: WORKSHOP_LIMITS.maxChannelsPerMember + 1 }, (_, index) => `c${index}`);
      await assertProblem(await heartbeat({ lesson: null, channels: tooMany }), 400, PROBLEM_TYPES.invalidBody);
      await assertProblem(await heartbeat({ lesson: null }), 400, PROBLEM_TYPES.invalidBody);
      await assertProblem(await heartbeat({ lesson: null, channels: [], streaming: 'no' }), 400, PROBLEM_TYPES.invalidBody);
    });

    it('refuses a bad "done", title, state, lesson or broadcast', async () => {
      const done = await fetch(
        client.url(apiRoutes.workshopDone.path({ code: code() })),
        jsonRequest('PUT', { done: 'yes' }, asLearner(ada)),
      );
      await assertProblem(done, 400, PROBLEM_TYPES.invalidBody);
      for (const title of ['', ' ', 'x'.repeat(WORKSHOP_LIMITS.maxTitleLength + 1), 'Tab\there', 3]) {
        const response = await fetch(client.url(apiRoutes.workshops.path()), jsonRequest('POST', { title }));
        await assertProblem(response, 400, PROBLEM_TYPES.invalidBody);
      }
      for (const state of ['paused', 'OPEN', null]) {
        await assertProblem(await client.host('PUT', apiRoutes.workshopState.path({ code: code() }), ours.secret, { state }), 400);
      }
      await assertProblem(
        await client.host('POST', apiRoutes.workshopGoto.path({ code: code() }), ours.secret, { lesson: 'nope' }),
        422,
        PROBLEM_TYPES.unknownLesson,
      );
      for (const text of ['', 'x'.repeat(WORKSHOP_LIMITS.maxBroadcastLength + 1), 12]) {
        await assertProblem(await client.host('POST', apiRoutes.workshopBroadcast.path({ code: code() }), ours.secret, { text }), 400);
      }
    });
  });
});

describe('a full workshop', () => {
  it(`refuses member ${WORKSHOP_LIMITS.maxMembers + 1} with 409 workshop-full`, async () => {
    const server = await startServer();
    try {
      const client = workshopClient(server.baseUrl);
      const { workshop } = await client.create();
      for (let index = 0; index < WORKSHOP_LIMITS.maxMembers; index += 1) {
        await client.join(workshop.code, `Learner ${index}`);
      }
      const response = await fetch(
        client.url(apiRoutes.workshopMembers.path({ code: workshop.code })),
        jsonRequest('POST', { name: 'One too many' }),
      );
      await assertProblem(response, 409, PROBLEM_TYPES.workshopFull);
      assert.deepEqual(server.errors, []);
    } finally {
      await server.stop();
    }
  });
});
