import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChannelEvent, PublishResponse } from '../../src/protocol/events.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

describe('publishing to a channel', () => {
  let server: RunningServer;
  const publish = (channel: string, body: unknown) =>
    fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
    });

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  it('answers 201 with the id and server time of the new event', async () => {
    const before = Date.now();
    const response = await publish('news', { type: 'headline', data: { title: 'Polling is fine, sometimes' } });
    const body = (await response.json()) as PublishResponse;

    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(body.id, 1);
    assert.ok(body.ts >= before && body.ts <= Date.now());
  });

  it('numbers events per channel, strictly increasing', async () => {
    const ids: number[] = [];
    for (const channel of ['a', 'a', 'b', 'a']) {
      const response = await publish(`count-${channel}`, { type: 'count' });
      ids.push(((await response.json()) as PublishResponse).id);
    }
    assert.deepEqual(ids, [1, 2, 1, 3]);
  });

  it('delivers the event to subscribers and keeps it in the log, data defaulting to null', async () => {
    const received: ChannelEvent[] = [];
    const unsubscribe = server.app.bus.subscribe('delivery', (event) => received.push(event));

    const response = await publish('delivery', { type: 'ping' });
    const { id, ts } = (await response.json()) as PublishResponse;
    unsubscribe();

    assert.deepEqual(received, [{ id, type: 'ping', data: null, ts }]);
    assert.deepEqual((await server.app.bus.since('delivery', 0)).events, received);
  });

  it('accepts any JSON value as data, and the longest channel name', async () => {
    const channel = 'c'.repeat(64);
    for (const data of [0, 'text', [1, 2], { nested: { deep: true } }, false]) {
      const response = await publish(channel, { type: 'value', data });
      assert.equal(response.status, 201);
      await response.arrayBuffer();
    }
    assert.deepEqual(
      (await server.app.bus.since(channel, 0)).events.map((event) => event.data),
      [0, 'text', [1, 2], { nested: { deep: true } }, false],
    );
  });

  it('accepts a note of the longest allowed length', async () => {
    const response = await publish('notes', { type: 'note', data: { text: 'n'.repeat(280) } });
    assert.equal(response.status, 201);
    await response.arrayBuffer();
  });
});
