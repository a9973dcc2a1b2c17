import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { LEARNER_COOKIE } from '../../src/protocol/progress.ts';
import { RESERVED_EVENT_TYPES } from '../../src/protocol/reserved-event-types.ts';
import { BROADCAST_EVENT_TYPE } from '../../src/protocol/workshops.ts';
import { newLearnerId } from '../../server/progress/learner-cookie.ts';
import { parseWire, openRawStream } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { TestSocket } from './helpers/websocket-client.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';
import { asLearner, jsonRequest, workshopClient } from './helpers/workshops.ts';

/**
 * docs/security.md, "Reserved event types" and "Channel ownership": tried as
 * a stranger would, who knows a reader's channel name and nothing else.
 */
describe('reserved event types and channel ownership', () => {
  let server: RunningServer;
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
  const reader = newLearnerId();
  const stranger = newLearnerId();
  const call = (method: string, path: string, body: unknown, learner?: string) =>
    fetch(`${server.baseUrl}${path}`, jsonRequest(method, body === undefined ? '' : body, learner ? asLearner(learner) : {}));
  const latestId = async (channel: string) => {
    const response = await fetch(`${server.baseUrl}${apiRoutes.channelLatest.path({ channel })}`);
    return ((await response.json()) as { latestId: number }).latestId;
  };
  /** The reader opens the channel the way the lessons' widgets do: a stream, with the learner cookie. */
  const readerOpens = async (channel: string) => {
    const response = await fetch(`${server.baseUrl}${apiRoutes.channelLatest.path({ channel })}`, { headers: asLearner(reader) });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
  };
  const assertNotYours = async (response: Response, channel: string) => {
    assert.equal(response.status, 403, await response.clone().text());
    assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    const problem = (await response.json()) as ProblemDetails;
    assert.equal(problem.type, PROBLEM_TYPES.channelNotYours);
    assert.equal(problem.channel, channel);
  };

  before(async () => {
    server = await startServer({ scaling: { redisServer: null } });
  });
  after(() => server.stop());

  describe('a public publish of a type only the server publishes', () => {
    for (const type of RESERVED_EVENT_TYPES) {
      it(`refuses "${type}" with 403 reserved-event-type, and publishes nothing`, async () => {
        const channel = fresh('reserved');
        const response = await call(
          'POST',
          apiRoutes.channelEvents.path({ channel }),
          { type, data: { text: 'from the instructor' } },
          stranger,
        );
        assert.equal(response.status, 403);
        assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
        const problem = (await response.json()) as ProblemDetails;
        assert.equal(problem.type, PROBLEM_TYPES.reservedEventType);
        assert.equal(problem.eventType, type);
        assert.equal(await latestId(channel), 0);
      });
    }

    it('still accepts the types the lessons publish, from anyone, on anyone’s channel', async () => {
      const channel = fresh('open');
      await readerOpens(channel);
      for (const [type, data] of [
        ['note', { text: 'hi' }],
        ['notification', { text: 'hi' }],
        ['headline', null],
      ] as const) {
        assert.equal((await call('POST', apiRoutes.channelEvents.path({ channel }), { type, data }, stranger)).status, 201);
      }
      assert.equal(
        (await call('POST', apiRoutes.channelEvents.path({ channel }), { type: 'note', data: { text: 'no cookie' } })).status,
        201,
      );
    });
  });

  describe('breaking a reader’s channel', () => {
    const breakers: { name: string; request: (channel: string) => [string, string, unknown] }[] = [
      { name: 'a kill-streams fault', request: (channel) => ['POST', apiRoutes.channelFaults.path({ channel }), { type: 'kill-streams' }] },
      {
        name: 'a server-errors fault',
        request: (channel) => ['POST', apiRoutes.channelFaults.path({ channel }), { type: 'server-errors', count: 3 }],
      },
      { name: 'a drain', request: (channel) => ['POST', apiRoutes.drains.path(), { channel, fleet: 0 }] },
      {
        name: 'a reconnect storm',
        request: (channel) => ['POST', apiRoutes.storms.path(), { channel, clients: 10, strategy: 'full-jitter' }],
      },
      { name: 'a slow consumer', request: (channel) => ['POST', apiRoutes.slowConsumers.path(), { channel, transport: 'sse' }] },
      { name: 'a job', request: (channel) => ['POST', apiRoutes.jobs.path(), { channel }] },
      { name: 'a build', request: (channel) => ['POST', apiRoutes.builds.path(), { channel }] },
      { name: 'starting its two instances', request: (channel) => ['POST', apiRoutes.scalingDemo.path({ channel }), { backplane: false }] },
      { name: 'stopping its two instances', request: (channel) => ['DELETE', apiRoutes.scalingDemo.path({ channel }), undefined] },
      {
        name: 'killing instance A',
        request: (channel) => ['POST', apiRoutes.scalingAction.path({ channel, instance: 'a', action: 'kill' }), undefined],
      },
      {
        name: 'pausing instance B',
        request: (channel) => ['POST', apiRoutes.scalingAction.path({ channel, instance: 'b', action: 'pause' }), undefined],
      },
      {
        name: 'restarting instance A',
        request: (channel) => ['POST', apiRoutes.scalingAction.path({ channel, instance: 'a', action: 'restart' }), undefined],
      },
    ];
    for (const { name, request } of breakers) {
      it(`${name}: 403 channel-not-yours for another learner and for no cookie`, async () => {
        const channel = fresh('owned');
        await readerOpens(channel);
        const [method, path, body] = request(channel);
        await assertNotYours(await call(method, path, body, stranger), channel);
        await assertNotYours(await call(method, path, body), channel);
      });
    }

    it('lets the reader arm a fault on their channel, and the fault acts', async () => {
      const channel = fresh('mine');
      await readerOpens(channel);
      const armed = await call('POST', apiRoutes.channelFaults.path({ channel }), { type: 'server-errors', count: 1 }, reader);
      assert.equal(armed.status, 202);
      const poll = await fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel }, { cursor: 0, timeout: 0 })}`);
      assert.equal(poll.status, 503);
      await poll.arrayBuffer();
    });

    it('lets the reader drain and stop what is theirs (lesson 7, lesson 8)', async () => {
      const channel = fresh('mine');
      await readerOpens(channel);
      const drain = await call('POST', apiRoutes.drains.path(), { channel, fleet: 0 }, reader);
      assert.equal(drain.status, 202, await drain.clone().text());
      const scaling = fresh('scale');
      assert.equal((await call('DELETE', apiRoutes.scalingDemo.path({ channel: scaling }), undefined, reader)).status, 204);
      const kill = await call('POST', apiRoutes.scalingAction.path({ channel: scaling, instance: 'a', action: 'kill' }), undefined, reader);
      assert.equal(kill.status, 404, 'no demo runs: the reader gets past the ownership check');
      assert.equal(((await kill.json()) as ProblemDetails).type, PROBLEM_TYPES.unknownScalingDemo);
    });

    it('gives a channel nobody used to the first learner who acts on it; requests without a cookie claim nothing', async () => {
      const channel = fresh('unclaimed');
      assert.equal((await call('POST', apiRoutes.channelFaults.path({ channel }), { type: 'drop-next-response' })).status, 202);
      assert.equal((await call('POST', apiRoutes.channelFaults.path({ channel }), { type: 'drop-next-response' }, reader)).status, 202);
      await assertNotYours(
        await call('POST', apiRoutes.channelFaults.path({ channel }), { type: 'drop-next-response' }, stranger),
        channel,
      );
    });

    it('claims a channel for the learner whose SSE stream or WebSocket subscription opened it first', async () => {
      const viaSse = fresh('sse');
      const stream = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: viaSse })}`, {
        Cookie: `${LEARNER_COOKIE}=${reader}`,
      });
      await stream.waitFor('id: 0');
      stream.destroy();
      await assertNotYours(
        await call('POST', apiRoutes.channelFaults.path({ channel: viaSse }), { type: 'kill-streams' }, stranger),
        viaSse,
      );

      const viaWs = fresh('ws');
      const socket = await TestSocket.open(server.baseUrl, { headers: { Cookie: `${LEARNER_COOKIE}=${reader}` } });
      socket.send({ type: 'subscribe', channel: viaWs, cursor: 0 });
      await socket.waitFor('subscribed');
      await assertNotYours(await call('POST', apiRoutes.channelFaults.path({ channel: viaWs }), { type: 'kill-streams' }, stranger), viaWs);
      await socket.close();
    });

    it('logs nothing as an error', () => {
      assert.deepEqual(server.errors, []);
    });
  });

  describe('a workshop’s broadcasts', () => {
    it('arrive only by the workshop’s own path, and a member registers only their own demo channels', async () => {
      const client = workshopClient(server.baseUrl);
      const { workshop, secret } = await client.create('Ours');
      const member = await client.join(workshop.code, 'Ada');
      const other = await client.join(workshop.code, 'Grace');
      const own = fresh('bc-own');
      const theirs = fresh('bc-theirs');
      await fetch(`${server.baseUrl}${apiRoutes.channelLatest.path({ channel: theirs })}`, { headers: asLearner(other.learnerId) });

      // Someone else's demo channel: refused, and it changes nothing.
      const refused = await call(
        'POST',
        apiRoutes.workshopHeartbeat.path({ code: workshop.code }),
        { lesson: null, channels: [own, theirs] },
        member.learnerId,
      );
      await assertNotYours(refused, theirs);
      await client.heartbeat(workshop.code, member.learnerId, null, [own]);

      const demo = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: own })}`, {
        Cookie: `${LEARNER_COOKIE}=${member.learnerId}`,
      });
      const broadcast = await fetch(
        `${server.baseUrl}${apiRoutes.workshopBroadcast.path({ code: workshop.code })}`,
        jsonRequest('POST', { text: 'Look!' }, { Authorization: `Bearer ${secret}` }),
      );
      assert.equal(broadcast.status, 202);
      await demo.waitFor(`event: ${BROADCAST_EVENT_TYPE}`);
      assert.equal(parseWire(demo.text()).filter((block) => block.event === BROADCAST_EVENT_TYPE).length, 1);
      demo.destroy();

      // The fake: the same type through the public publish path.
      const fake = await call(
        'POST',
        apiRoutes.channelEvents.path({ channel: own }),
        { type: BROADCAST_EVENT_TYPE, data: { workshop: 'Ours', text: 'Leave now' } },
        other.learnerId,
      );
      assert.equal(fake.status, 403);
    });
  });

  describe('the learner cookie comes with the page', () => {
    let site: RunningServer;
    let siteDir: string;
    before(async () => {
      siteDir = await mkdtemp(path.join(tmpdir(), 'workbook-ownership-'));
      await mkdir(path.join(siteDir, 'client', 'lessons', 'server-sent-events'), { recursive: true });
      await mkdir(path.join(siteDir, 'server'), { recursive: true });
      await writeFile(path.join(siteDir, 'client', 'lessons', 'server-sent-events', 'index.html'), '<h1>SSE</h1>');
      await writeFile(
        path.join(siteDir, 'server', 'entry.mjs'),
        'export async function handler(request, response) { response.writeHead(404).end(); }',
      );
      site = await startServer({ config: { apiOnly: false, siteDir } });
    });
    after(async () => {
      await site.stop();
      await rm(siteDir, { recursive: true, force: true });
    });

    it('so that every request the page sends next, in parallel, is the same learner, who owns the channel', async () => {
      const page = await fetch(`${site.baseUrl}/lessons/server-sent-events/`, { headers: { Accept: 'text/html' } });
      assert.equal(page.status, 200);
      const id = learnerIdFrom(page);
      assert.ok(id, 'a page opened without the cookie sets it');
      // The page's first API requests go out together, all with that cookie: none of them is a different learner.
      const channel = fresh('page');
      const [stream, fault] = await Promise.all([
        fetch(`${site.baseUrl}${apiRoutes.channelLatest.path({ channel })}`, { headers: asLearner(id) }),
        fetch(
          `${site.baseUrl}${apiRoutes.channelFaults.path({ channel })}`,
          jsonRequest('POST', { type: 'retry', retryMs: 1000 }, asLearner(id)),
        ),
      ]);
      assert.equal(stream.status, 200);
      assert.equal(fault.status, 202);
      await stream.arrayBuffer();
      await fault.arrayBuffer();

      const again = await fetch(`${site.baseUrl}/lessons/server-sent-events/`, { headers: { Accept: 'text/html', ...asLearner(id) } });
      assert.equal(learnerIdFrom(again), undefined, 'a page opened with the cookie keeps it');
      const api = await fetch(`${site.baseUrl}${apiRoutes.channelLatest.path({ channel: fresh('api') })}`, {
        headers: { Accept: 'text/html' },
      });
      assert.equal(learnerIdFrom(api), undefined, 'API answers hand out no cookie');
    });
  });
});
