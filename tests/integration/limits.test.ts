import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { CONNECTION_LIMITS, RATE_LIMITS } from '../../src/protocol/rate-limits.ts';
import { WS_PATH } from '../../src/protocol/websocket.ts';

import { ConfigError, readConfig } from '../../server/config.ts';
import { fileDescriptorLimit } from '../../server/limits/file-descriptor-limit.ts';
import { parseTrustProxy } from '../../server/limits/client-address.ts';
import { openRawStream, type RawStream } from './helpers/raw-stream.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { rawUpgrade } from './helpers/websocket-client.ts';
import { learnerIdFrom } from './helpers/learner-cookie.ts';
import { asLearner, jsonRequest, workshopClient } from './helpers/workshops.ts';

/** Asserts a 429 problem with a Retry-After of whole seconds; returns the problem. */
async function assertTooMany(response: Response, type: string): Promise<Record<string, unknown>> {
  assert.equal(response.status, 429, await response.clone().text());
  assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
  assert.match(response.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  const problem = (await response.json()) as Record<string, unknown>;
  assert.equal(problem.type, type);
  return problem;
}

/** A long poll the server holds (no answer yet, so no headers to wait for); destroy it to leave. */
function holdLongPoll(url: string): { destroy(): void } {
  const request = httpRequest(url, { agent: false });
  request.on('error', () => {});
  request.end();
  return { destroy: () => request.destroy() };
}

const putProgress = (baseUrl: string, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}${apiRoutes.progress.path()}`, jsonRequest('PUT', { lessons: {} }, headers));

describe('stream caps', () => {
  let server: RunningServer;
  const open: { destroy(): void }[] = [];
  before(async () => {
    server = await startServer({ config: { maxConnectionsPerIp: 3 } });
  });
  after(async () => {
    open.forEach((stream) => stream.destroy());
    await server.stop();
  });

  it('counts SSE streams, held long polls and WebSockets together, and refuses the next with 429', async () => {
    open.push(await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'caps-a' })}`));
    open.push(holdLongPoll(`${server.baseUrl}${apiRoutes.longPoll.path({ channel: 'caps-a' }, { cursor: 0, timeout: 20_000 })}`));
    await waitUntil(() => server.app.heldPolls() === 1, 'the long poll is held');
    const socket = await rawUpgrade(server.baseUrl, WS_PATH, {});
    assert.equal(socket.statusCode, 101);
    await waitUntil(() => server.app.limits.heldStreams() === 3, 'three streams are counted');

    const refusedSse = await fetch(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'caps-b' })}`);
    const problem = await assertTooMany(refusedSse, PROBLEM_TYPES.tooManyConnections);
    assert.equal(problem.scope, 'address');
    assert.equal(refusedSse.headers.get('retry-after'), String(CONNECTION_LIMITS.retryAfterSeconds));
    await assertTooMany(
      await fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel: 'caps-b' }, { cursor: 0, timeout: 20_000 })}`),
      PROBLEM_TYPES.tooManyConnections,
    );
    const refusedUpgrade = await rawUpgrade(server.baseUrl, WS_PATH, {});
    assert.equal(refusedUpgrade.statusCode, 429, 'no upgrade past the cap');
    assert.match(refusedUpgrade.response, /retry-after: 10/i);
    refusedUpgrade.socket.destroy();

    // Short requests are not streams: they still go through.
    assert.equal((await fetch(`${server.baseUrl}${apiRoutes.health.path()}`)).status, 200);

    // Each closed stream gives its slot back: the WebSocket, then the SSE stream.
    socket.socket.destroy();
    await waitUntil(() => server.app.limits.heldStreams() === 2, 'the WebSocket slot is free');
    const again = await rawUpgrade(server.baseUrl, WS_PATH, {});
    assert.equal(again.statusCode, 101);
    again.socket.destroy();
    await waitUntil(() => server.app.limits.heldStreams() === 2, 'the second WebSocket slot is free');
    open.shift()!.destroy();
    await waitUntil(() => server.app.limits.heldStreams() === 1, 'the SSE slot is free');
    const reopened = await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'caps-c' })}`);
    open.push(reopened);
    assert.equal(reopened.response.statusCode, 200);
  });

  it('gives a long poll that answered its slot back', async () => {
    const held = server.app.limits.heldStreams();
    await fetch(
      `${server.baseUrl}${apiRoutes.channelEvents.path({ channel: 'caps-d' })}`,
      jsonRequest('POST', { type: 'count', data: {} }),
    );
    const answered = await fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel: 'caps-d' }, { cursor: 0, timeout: 5_000 })}`);
    assert.equal(answered.status, 200);
    await answered.arrayBuffer();
    await waitUntil(() => server.app.limits.heldStreams() === held, 'the slot of the answered poll is free');
  });
});

describe('the server-wide cap', () => {
  it('refuses streams past MAX_CONNECTIONS, whoever asks', async () => {
    const server = await startServer({ config: { maxConnections: 2 } });
    const streams = [
      await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'total-a' })}`),
      await openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'total-b' })}`),
    ];
    try {
      const problem = await assertTooMany(
        await fetch(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'total-c' })}`),
        PROBLEM_TYPES.tooManyConnections,
      );
      assert.equal(problem.scope, 'server');
      assert.equal(problem.limit, 2);
    } finally {
      streams.forEach((stream) => stream.destroy());
      await server.stop();
    }
  });

  it('defaults to three quarters of the open-file limit, and reads the caps from the environment', () => {
    const config = readConfig({});
    assert.equal(config.maxConnections, Math.floor(fileDescriptorLimit() * 0.75));
    assert.equal(config.maxConnectionsPerIp, 2_000);
    const set = readConfig({ MAX_CONNECTIONS: '50', MAX_CONNECTIONS_PER_IP: '5', TRUST_PROXY: 'loopback' });
    assert.equal(set.maxConnections, 50);
    assert.equal(set.maxConnectionsPerIp, 5);
    assert.equal(set.trustProxy.trusts('127.0.0.1'), true);
    assert.equal(config.rateLimits, true);
    assert.equal(readConfig({ RATE_LIMITS: 'off' }).rateLimits, false);
    assert.throws(
      () =>
        readConfig({
          MAX_CONNECTIONS_PER_IP: '0',
          MAX_CONNECTIONS: 'lots',
          TRUST_PROXY: '10.0.0.0/8, proxy.example',
          RATE_LIMITS: 'maybe',
        }),
      (error: Error) =>
        error instanceof ConfigError &&
        /MAX_CONNECTIONS_PER_IP/.test(error.message) &&
        /MAX_CONNECTIONS=/.test(error.message) &&
        /TRUST_PROXY has "proxy.example"/.test(error.message) &&
        /RATE_LIMITS="maybe"/.test(error.message),
    );
  });
});

describe('TRUST_PROXY', () => {
  it('counts streams by X-Forwarded-For only behind a trusted proxy', async () => {
    const trusting = await startServer({ config: { maxConnectionsPerIp: 1, trustProxy: parseTrustProxy('loopback').proxies } });
    const naive = await startServer({ config: { maxConnectionsPerIp: 1 } });
    const streams: RawStream[] = [];
    const sse = (server: RunningServer, forwardedFor: string) =>
      openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: 'proxied' })}`, { 'X-Forwarded-For': forwardedFor });
    try {
      // Behind the trusted proxy (loopback here), two clients are two addresses…
      streams.push(await sse(trusting, '198.51.100.1'));
      streams.push(await sse(trusting, '198.51.100.2'));
      assert.deepEqual(
        streams.map((stream) => stream.response.statusCode),
        [200, 200],
      );
      // …and a made-up hop left of the real one changes nothing: the rightmost untrusted hop counts.
      const spoofed = await sse(trusting, '203.0.113.50, 198.51.100.1');
      assert.equal(spoofed.response.statusCode, 429);
      spoofed.destroy();
      // IPv6 clients count by /64.
      streams.push(await sse(trusting, '2001:db8:1:2::1'));
      const sameSlash64 = await sse(trusting, '2001:db8:1:2::ffff');
      assert.equal(sameSlash64.response.statusCode, 429);
      sameSlash64.destroy();

      // Without TRUST_PROXY, anyone could send the header: it is ignored.
      streams.push(await sse(naive, '198.51.100.1'));
      const ignored = await sse(naive, '198.51.100.2');
      assert.equal(ignored.response.statusCode, 429);
      ignored.destroy();
    } finally {
      streams.forEach((stream) => stream.destroy());
      await trusting.stop();
      await naive.stop();
    }
  });
});

describe('rate limits', () => {
  it('refuses workshop creation past the burst, with Retry-After', async () => {
    const server = await startServer({ rateLimits: { workshopCreates: { perAddress: { burst: 2, refillPerSecond: 1 / 180 } } } });
    try {
      const workshops = workshopClient(server.baseUrl);
      await workshops.create();
      await workshops.create();
      const refused = await fetch(`${server.baseUrl}${apiRoutes.workshops.path()}`, jsonRequest('POST', { title: 'Third' }));
      const problem = await assertTooMany(refused, PROBLEM_TYPES.rateLimited);
      assert.equal(problem.limit, 'workshopCreates');
      assert.ok(Number(refused.headers.get('retry-after')) > 100, 'one workshop every 3 minutes');
    } finally {
      await server.stop();
    }
  });

  it('refills: a refused publish goes through once Retry-After has passed', async () => {
    const server = await startServer({ rateLimits: { publishes: { perAddress: { burst: 2, refillPerSecond: 2 } } } });
    const publish = () =>
      fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel: 'refill' })}`, jsonRequest('POST', { type: 'count', data: {} }));
    try {
      assert.equal((await publish()).status, 201);
      assert.equal((await publish()).status, 201);
      const refused = await publish();
      await assertTooMany(refused, PROBLEM_TYPES.rateLimited);
      assert.equal(refused.headers.get('retry-after'), '1');
      let status = 0;
      await waitUntil(
        async () => (status = (await publish()).status) === 201,
        () => `a publish is accepted again (${status})`,
      );
    } finally {
      await server.stop();
    }
  });

  it('counts progress writes per learner, and new learners per address (a made-up cookie is a new learner too)', async () => {
    const server = await startServer({
      rateLimits: {
        newLearners: { perAddress: { burst: 2, refillPerSecond: 1 / 3600 } },
        progressWrites: { perAddress: { burst: 1_000, refillPerSecond: 1 }, perLearner: { burst: 3, refillPerSecond: 1 / 3600 } },
      },
    });
    try {
      const first = learnerIdFrom(await putProgress(server.baseUrl));
      const second = learnerIdFrom(await putProgress(server.baseUrl));
      assert.ok(first && second);
      const problem = await assertTooMany(await putProgress(server.baseUrl), PROBLEM_TYPES.rateLimited);
      assert.equal(problem.limit, 'newLearners');
      await assertTooMany(await putProgress(server.baseUrl, asLearner('A'.repeat(22))), PROBLEM_TYPES.rateLimited);

      // A known learner saves on, 3 times with their cookie; then their own bucket is empty, not the other's.
      assert.equal((await putProgress(server.baseUrl, asLearner(first))).status, 200);
      assert.equal((await putProgress(server.baseUrl, asLearner(first))).status, 200);
      assert.equal((await putProgress(server.baseUrl, asLearner(first))).status, 200);
      const refused = await assertTooMany(await putProgress(server.baseUrl, asLearner(first)), PROBLEM_TYPES.rateLimited);
      assert.equal(refused.limit, 'progressWrites');
      assert.equal((await putProgress(server.baseUrl, asLearner(second))).status, 200);
    } finally {
      await server.stop();
    }
  });

  it('limits starting experiments: jobs, builds, labs, lesson 7 and 8', async () => {
    const server = await startServer({ rateLimits: { experiments: { perAddress: { burst: 2, refillPerSecond: 1 / 3600 } } } });
    try {
      assert.equal((await fetch(`${server.baseUrl}${apiRoutes.labs.path()}`, { method: 'POST' })).status, 201);
      assert.equal((await fetch(`${server.baseUrl}${apiRoutes.jobs.path()}`, jsonRequest('POST', {}))).status, 201);
      for (const path of [
        apiRoutes.jobs.path(),
        apiRoutes.builds.path(),
        apiRoutes.labs.path(),
        apiRoutes.storms.path(),
        apiRoutes.slowConsumers.path(),
        apiRoutes.drains.path(),
        apiRoutes.scalingDemo.path({ channel: 'x' }),
      ]) {
        const problem = await assertTooMany(await fetch(`${server.baseUrl}${path}`, jsonRequest('POST', {})), PROBLEM_TYPES.rateLimited);
        assert.equal(problem.limit, 'experiments', path);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('join codes', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('lets a class of 200 behind one address, after a dozen typos, join and open their streams; guessing stops soon after', async () => {
    const workshops = workshopClient(server.baseUrl);
    const { workshop } = await workshops.create('Class behind a NAT');
    const typos = ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD', 'EEEEEE', 'FFFFFF', 'GGGGGG', 'HHHHHH', 'JJJJJJ', 'KKKKKK', 'MMMMMM', 'NNNNNN'];
    for (const typo of typos) assert.equal((await fetch(workshops.url(apiRoutes.workshop.path({ code: typo })))).status, 404);

    const streams: RawStream[] = [];
    const sockets: Awaited<ReturnType<typeof rawUpgrade>>[] = [];
    try {
      const learners: string[] = [];
      // In waves of 20, as a room does: the preview, the join, a progress save, then the pages' streams.
      for (let wave = 0; wave < 10; wave += 1) {
        const joined = await Promise.all(
          Array.from({ length: 20 }, async (_, index) => {
            const name = `Learner ${wave * 20 + index}`;
            assert.equal((await fetch(workshops.url(apiRoutes.workshop.path({ code: workshop.code })))).status, 200, name);
            const { learnerId } = await workshops.join(workshop.code, name);
            assert.equal((await putProgress(server.baseUrl, asLearner(learnerId))).status, 200);
            return learnerId;
          }),
        );
        learners.push(...joined);
        for (const learnerId of joined) {
          // Lesson 4's seven streams: here the workshop stream, six SSE streams and a WebSocket.
          const opened = await Promise.all([
            openRawStream(workshops.url(apiRoutes.workshopLearnerStream.path({ code: workshop.code })), asLearner(learnerId)),
            ...Array.from({ length: 6 }, (_, n) =>
              openRawStream(`${server.baseUrl}${apiRoutes.sse.path({ channel: `nat-${learnerId}-${n}` })}`),
            ),
          ]);
          streams.push(...opened);
          sockets.push(await rawUpgrade(server.baseUrl, WS_PATH, {}));
        }
      }
      assert.equal(learners.length, 200);
      assert.deepEqual(new Set(streams.map((stream) => stream.response.statusCode)), new Set([200]));
      assert.deepEqual(new Set(sockets.map((socket) => socket.statusCode)), new Set([101]));
      assert.equal(server.app.limits.heldStreams(), 1_600);

      // The same address guessing codes now: a few more misses (never more than a full bucket's 24), then 429.
      let refused: Response | undefined;
      for (let attempt = 0; attempt < 30 && !refused; attempt += 1) {
        const response = await fetch(workshops.url(apiRoutes.workshop.path({ code: 'PPPPPP' })));
        if (response.status !== 404) refused = response;
      }
      assert.ok(refused, 'guessing is refused');
      const problem = await assertTooMany(refused, PROBLEM_TYPES.rateLimited);
      assert.equal(problem.limit, 'codeLookups');
      // The class is not cut off by the guesser's debt: members' requests still go through…
      const [member] = learners;
      assert.equal(
        (await fetch(workshops.url(apiRoutes.workshopMe.path({ code: workshop.code })), { headers: asLearner(member!) })).status,
        200,
      );
      const reconnected = await openRawStream(
        workshops.url(apiRoutes.workshopLearnerStream.path({ code: workshop.code })),
        asLearner(member!),
      );
      streams.push(reconnected);
      assert.equal(reconnected.response.statusCode, 200);
      // …while the same routes tell an outsider nothing: an existing code and a made-up one both answer 429.
      for (const code of [workshop.code, 'PPPPPP']) {
        const outsider = await fetch(workshops.url(apiRoutes.workshopMe.path({ code })), { headers: asLearner('B'.repeat(22)) });
        await assertTooMany(outsider, PROBLEM_TYPES.rateLimited);
      }
    } finally {
      streams.forEach((stream) => stream.destroy());
      sockets.forEach((socket) => socket.socket.destroy());
    }
  });

  it('lets a guesser try 24 codes at once, then about one every 5 seconds', async () => {
    const other = await startServer();
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 40; attempt += 1) {
        statuses.push((await fetch(`${other.baseUrl}${apiRoutes.workshop.path({ code: 'QQQQQQ' })}`)).status);
      }
      const misses = statuses.filter((status) => status === 404).length;
      const burst = RATE_LIMITS.codeLookups.perAddress.burst / 50;
      // 24 at once; the rest wait about 5 s each (the bucket refills 10 tokens a second, a miss costs 50).
      assert.ok(misses >= burst && statuses.length - misses >= 10, `${misses} misses of 40 (${statuses.join(' ')})`);
      assert.equal(statuses.at(-1), 429);
    } finally {
      await other.stop();
    }
  });
});
