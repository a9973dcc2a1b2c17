import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import {
  PRODUCTION_EVENTS,
  type SlowConsumerCut,
  type SlowConsumerDone,
  type SlowConsumerResumed,
  type SlowConsumerSample,
  type SlowConsumerTransport,
  type StartSlowConsumerResponse,
} from '../../src/protocol/production.ts';
import { SSE_LIMITS } from '../../src/protocol/sse.ts';
import { WS_LIMITS } from '../../src/protocol/websocket.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';
import { postJson } from './helpers/post-json.ts';
import { withTimeout } from './helpers/websocket-client.ts';

describe('a slow consumer and the backpressure caps', () => {
  let server: RunningServer;
  before(async () => {
    // A faster firehose (about 5 MB/s) fills the kernel's buffers sooner; the caps are the real ones.
    server = await startServer({ production: { slowConsumer: { publishPerSecond: 5_000, maxRunMs: 3_000 } } });
  });
  after(() => server.stop());

  async function run(channel: string, transport: SlowConsumerTransport, readBytesPerSecond: number) {
    const samples: SlowConsumerSample[] = [];
    let cut: SlowConsumerCut | undefined;
    let resumed: SlowConsumerResumed | undefined;
    const done = new Promise<SlowConsumerDone>((resolve) => {
      const unsubscribe = server.app.bus.subscribe(channel, ({ type, data }) => {
        if (type === PRODUCTION_EVENTS.slowSample) samples.push(data as SlowConsumerSample);
        if (type === PRODUCTION_EVENTS.slowCut) cut = data as SlowConsumerCut;
        if (type === PRODUCTION_EVENTS.slowResumed) resumed = data as SlowConsumerResumed;
        if (type === PRODUCTION_EVENTS.slowDone) {
          unsubscribe();
          resolve(data as SlowConsumerDone);
        }
      });
    });
    const response = await fetch(
      `${server.baseUrl}${apiRoutes.slowConsumers.path()}`,
      postJson({ channel, transport, readBytesPerSecond }),
    );
    assert.equal(response.status, 202);
    const started = (await response.json()) as StartSlowConsumerResponse;
    assert.equal(started.firehose, `${channel}-firehose`);
    return { started, samples, done: await withTimeout(done, `the ${transport} run to end`, 30_000), cut, resumed };
  }

  it('SSE: the stream of a reader that falls behind is cut once 1 MiB waits in the server', async () => {
    const { started, samples, done, cut, resumed } = await run('slow-sse', 'sse', 20_000);
    assert.equal(started.capBytes, SSE_LIMITS.maxBufferedBytes);
    assert.equal(done.cut, true);
    assert.equal(cut?.action, 'sse-stream-cut');
    // The server never held much more than the cap for it (the cap, plus the write that crossed it).
    const highest = Math.max(...samples.map((sample) => sample.serverBufferedBytes));
    assert.ok(highest <= SSE_LIMITS.maxBufferedBytes + 64 * 1024, `the server held ${highest} bytes`);
    // The kernels' buffers held megabytes first: sent but unread is far above what the server's buffer shows.
    assert.ok(cut!.unreadBytes > SSE_LIMITS.maxBufferedBytes, `${cut!.unreadBytes} bytes unread at the cut`);
    // Resuming from its cursor: the megabyte the server dropped is more than the log keeps.
    assert.equal(resumed?.outcome, 'reset');
    await waitUntil(() => server.app.openStreams(started.firehose) === 0, 'the consumer to be gone');
  });

  it('WebSocket: the reader is closed with 1013, and resumes from its cursor', async () => {
    const { started, done, cut, resumed } = await run('slow-ws', 'websocket', 20_000);
    assert.equal(started.capBytes, WS_LIMITS.maxBufferedBytes);
    assert.equal(done.cut, true);
    assert.equal(cut?.action, 'websocket-1013');
    assert.ok(done.maxServerBufferedBytes <= WS_LIMITS.maxBufferedBytes + 64 * 1024);
    // `ws` sends the close frame after what it had buffered: the reader loses only what came after.
    assert.ok(resumed, 'the reader reconnected with its cursor');
    assert.ok(resumed.cursor > 0 && resumed.cursor <= resumed.latestId);
    await waitUntil(() => server.app.openWebSockets() === 0, 'the consumer to be gone');
  });

  it('a reader that keeps up is never cut', async () => {
    const { done, samples } = await run('slow-fast', 'sse', 10_000_000);
    assert.equal(done.cut, false);
    assert.ok(samples.length > 10);
    assert.ok(samples.every((sample) => sample.serverBufferedBytes < SSE_LIMITS.maxBufferedBytes));
  });

  it('refuses bad input', async () => {
    for (const body of [
      { channel: 'x', transport: 'carrier-pigeon' },
      { channel: 'x', transport: 'sse', readBytesPerSecond: -5 },
    ]) {
      const response = await fetch(`${server.baseUrl}${apiRoutes.slowConsumers.path()}`, postJson(body));
      assert.equal(response.status, 400);
      await response.arrayBuffer();
    }
  });
});
