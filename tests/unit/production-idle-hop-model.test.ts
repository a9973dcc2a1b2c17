import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { SSE_DEFAULTS, SSE_HEARTBEAT } from '../../src/protocol/sse.ts';
import type { ProductionClient } from '../../src/widgets/production/client.ts';
import { createIdleHopModel, type IdleHopModel, NO_HEARTBEAT_MS } from '../../src/widgets/production/idle-hop-model.ts';
import { advance, settle } from './support/fake-time.ts';

/**
 * The idle-hop widget's model, reading its stream with fetch through a fake
 * lesson-7 client whose stream bodies the test writes and breaks, on
 * node:test's mocked setTimeout and Date.
 */
class FakeHop {
  /** Every stream asked for: the hop's idle limit, and the query the reader sent. */
  readonly requests: { idleMs: number; heartbeatMs?: number; lastEventId?: string; signal: AbortSignal }[] = [];
  readonly bodies: ReadableStreamDefaultController<Uint8Array>[] = [];
  readonly published: { channel: string; type: string; data: unknown }[] = [];
  /** The answer to the next request, when not a stream. */
  next: (() => Response) | null = null;
  publishFails = false;

  readonly client = {
    hopUrl: (idleMs: number, channel: string, options: { heartbeatMs?: number; lastEventId?: string } = {}) => {
      const query = new URLSearchParams({ idleMs: String(idleMs), channel });
      if (options.heartbeatMs !== undefined) query.set('heartbeat', String(options.heartbeatMs));
      if (options.lastEventId) query.set('lastEventId', options.lastEventId);
      return `http://test/hop?${query}`;
    },
    fetchStream: async (url: string, signal: AbortSignal) => {
      const query = new URL(url).searchParams;
      this.requests.push({
        idleMs: Number(query.get('idleMs')),
        ...(query.has('heartbeat') ? { heartbeatMs: Number(query.get('heartbeat')) } : {}),
        ...(query.has('lastEventId') ? { lastEventId: query.get('lastEventId')! } : {}),
        signal,
      });
      if (this.next) {
        const answer = this.next;
        this.next = null;
        return answer();
      }
      const body = new ReadableStream<Uint8Array>({ start: (controller) => void this.bodies.push(controller) });
      signal.addEventListener('abort', () => {
        try {
          this.bodies.at(-1)?.error(new DOMException('aborted', 'AbortError'));
        } catch {
          // already closed
        }
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
    },
    publish: async (channel: string, type: string, data: unknown) => {
      if (this.publishFails) throw new Error('Could not reach the companion server');
      this.published.push({ channel, type, data });
      return { id: this.published.length, ts: Date.now() };
    },
  } as unknown as ProductionClient;

  write(text: string): void {
    this.bodies.at(-1)!.enqueue(new TextEncoder().encode(text));
  }

  /** The hop closes the connection without a word, as a proxy's idle timeout does. */
  cut(): void {
    this.bodies.at(-1)!.error(new TypeError('terminated'));
  }
}

describe('the idle-hop widget model', () => {
  let hop: FakeHop;
  let model: IdleHopModel;
  const texts = () => model.log.value.map((entry) => entry.text);

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 2_000_000 });
    hop = new FakeHop();
    model = createIdleHopModel(hop.client);
    model.channel.value = 'prod-hop';
  });
  afterEach(() => {
    model.dispose();
    mock.timers.reset();
  });

  it('opens the stream through the hop with the chosen limit and heartbeat, and counts what arrives', async () => {
    model.idleMs.value = 5_000;
    model.heartbeatMs.value = 2_000;
    model.open();
    assert.equal(model.state.value, 'connecting');
    await settle();
    assert.deepEqual(
      hop.requests.map(({ idleMs, heartbeatMs }) => ({ idleMs, heartbeatMs })),
      [{ idleMs: 5_000, heartbeatMs: 2_000 }],
    );
    assert.equal(model.state.value, 'open');
    assert.equal(model.lastByteAt.value, 2_000_000);
    assert.deepEqual(texts(), ['Stream open through a hop that cuts after 5 s of silence; a heartbeat every 2 s.']);

    await advance(2_000);
    hop.write(SSE_HEARTBEAT);
    await settle();
    assert.equal(model.lastByteAt.value, 2_002_000, 'a heartbeat is a byte: the silence starts over');
    hop.write('id: 7\nevent: note\ndata: {"text":"hi"}\n\n');
    await settle();
    assert.deepEqual(model.stats.value, { connections: 1, cuts: 0, heartbeats: 1, events: 1 });
    assert.equal(texts().at(-1), "Event 7 (note) arrived: the hop's timer starts over.");
  });

  it('tells the hop’s cut from other errors by the silence before it, and reconnects with its last id', async () => {
    model.idleMs.value = 5_000;
    model.heartbeats.value = false;
    model.open();
    await settle();
    assert.equal(hop.requests[0]!.heartbeatMs, NO_HEARTBEAT_MS, 'heartbeats off asks for the longest interval');
    assert.match(texts()[0]!, /; no heartbeats\.$/);
    hop.write('id: 3\ndata: x\n\n');
    await settle();

    // Changing the limit applies to the next open(), not to this stream's reconnects.
    model.idleMs.value = 20_000;
    await advance(5_000);
    hop.cut();
    await settle();
    assert.equal(model.state.value, 'cut');
    assert.equal(model.stats.value.cuts, 1);
    assert.equal(
      texts().at(-1),
      `Cut by the hop after 5 s of silence (its limit: 5 s). Reconnecting in ${SSE_DEFAULTS.retryMs / 1000} s, as EventSource would.`,
    );
    assert.equal(model.lastByteAt.value, null);

    await advance(SSE_DEFAULTS.retryMs);
    assert.equal(hop.requests.length, 2);
    assert.equal(hop.requests[1]!.idleMs, 5_000, 'the same hop as the stream was opened with');
    assert.equal(hop.requests[1]!.lastEventId, '3');
    assert.ok(texts().includes('Reconnecting through the hop with lastEventId=3…'));
    assert.equal(model.state.value, 'open');
    assert.equal(model.stats.value.connections, 2);

    // A break long before the limit is not the hop's doing.
    await advance(1_000);
    hop.cut();
    await settle();
    assert.equal(model.stats.value.cuts, 1);
    assert.equal(model.state.value, 'ended');
    assert.equal(texts().at(-1), 'The stream ended (network error).');
  });

  it('stops when the hop refuses the stream', async () => {
    hop.next = () => new Response('Bad gateway', { status: 502, headers: { 'content-type': 'text/plain' } });
    model.open();
    await settle();
    assert.equal(model.state.value, 'ended');
    assert.equal(texts().at(-1), 'The hop refused the stream; not reconnecting.');
    await advance(SSE_DEFAULTS.retryMs * 2);
    assert.equal(hop.requests.length, 1, 'no reconnect after a refusal');
  });

  it('closes the stream when told, and reopens it with new settings', async () => {
    model.open();
    await settle();
    model.close();
    assert.equal(hop.requests[0]!.signal.aborted, true, 'the connection is aborted');
    assert.equal(model.state.value, 'closed');
    assert.equal(texts().at(-1), 'Closed by you.');
    await advance(SSE_DEFAULTS.retryMs * 2);
    assert.equal(hop.requests.length, 1, 'nothing reconnects after close()');

    model.idleMs.value = 10_000;
    model.open();
    await settle();
    assert.equal(hop.requests[1]!.idleMs, 10_000);
    assert.equal(model.state.value, 'open');
  });

  it('publishes a note on its channel, and says why when it cannot', async () => {
    await model.publish();
    assert.deepEqual(hop.published, [{ channel: 'prod-hop', type: 'note', data: { text: 'Published from the idle-hop widget' } }]);
    hop.publishFails = true;
    await model.publish();
    assert.equal(model.error.value, 'Could not reach the companion server');
  });

  it('does nothing without a channel', async () => {
    model.channel.value = '';
    model.open();
    await model.publish();
    await settle();
    assert.equal(hop.requests.length, 0);
    assert.equal(hop.published.length, 0);
    assert.equal(model.state.value, 'closed');
  });
});
