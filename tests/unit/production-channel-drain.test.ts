import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drainCloseReason } from '../../src/protocol/production.ts';
import { WS_CLOSE } from '../../src/protocol/websocket.ts';
import { drainChannel, type DrainTargets } from '../../server/experiments/channel-drain.ts';

/** An SSE stream that records what the drain did to it. */
class FakeStream {
  readonly written: string[] = [];
  ended = false;
  write(text: string): void {
    this.written.push(text);
  }
  end(): void {
    this.ended = true;
  }
}

function targets(streams: FakeStream[]) {
  const calls = { closeChannel: [] as unknown[][], drainChannel: [] as unknown[][] };
  const drain: DrainTargets = {
    sseStreams: { on: (channel) => (channel === 'drained' ? streams : []) as never },
    webSocket: {
      closeChannel: (...args) => {
        calls.closeChannel.push(args);
        return 2;
      },
    },
    longPolling: {
      drainChannel: (...args) => {
        calls.drainChannel.push(args);
        return 1;
      },
    },
  };
  return { drain, calls };
}

describe('drainChannel', () => {
  it("tells each technique's clients of one channel when to come back", () => {
    const streams = [new FakeStream(), new FakeStream()];
    const { drain, calls } = targets(streams);
    const result = drainChannel('drained', drain, { retryMs: 2_500, spreadMs: 0 });
    assert.deepEqual(result, { sse: 2, webSockets: 2, longPolls: 1, retryMs: 2_500, spreadMs: 0, retryAfterSeconds: 3 });
    for (const stream of streams) {
      // `retry:` alone, with its blank line, then a clean end (WHATWG HTML §9.2.6).
      assert.deepEqual(stream.written, ['retry: 2500\n\n']);
      assert.equal(stream.ended, true);
    }
    assert.deepEqual(calls.closeChannel, [['drained', WS_CLOSE.serviceRestart, drainCloseReason(2_500)]]);
    // Retry-After is in whole seconds (RFC 9110 §10.2.3), rounded up so nobody comes back early.
    assert.deepEqual(calls.drainChannel, [['drained', 3]]);
  });

  it('spreads the SSE streams over spreadMs with their own retry each', () => {
    const streams = [new FakeStream(), new FakeStream(), new FakeStream()];
    const shares = [0, 0.5, 0.999];
    const { drain } = targets(streams);
    drainChannel('drained', drain, { retryMs: 1_000, spreadMs: 3_000, random: () => shares.shift()! });
    assert.deepEqual(
      streams.map((stream) => stream.written[0]),
      ['retry: 1000\n\n', 'retry: 2500\n\n', 'retry: 3997\n\n'],
    );
  });

  it('leaves other channels alone', () => {
    const streams = [new FakeStream()];
    const { drain } = targets(streams);
    assert.equal(drainChannel('elsewhere', drain, { retryMs: 1_000, spreadMs: 0 }).sse, 0);
    assert.equal(streams[0]!.ended, false);
  });
});
