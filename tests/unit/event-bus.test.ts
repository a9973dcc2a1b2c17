import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';

describe('InMemoryEventBus', () => {
  it('logs a published event, then delivers it to the subscribers of its channel', async () => {
    const bus = new InMemoryEventBus();
    const received: ChannelEvent[] = [];
    const latestWhenDelivered: Promise<number>[] = [];
    bus.subscribe('room', (event) => {
      // Delivered after logging: a subscriber that reads the log sees its own event.
      latestWhenDelivered.push(bus.latestId('room'));
      received.push(event);
    });

    const event = await bus.publish('room', 'note', { text: 'hello' });

    assert.equal(event.id, 1);
    assert.deepEqual(received, [event]);
    assert.deepEqual(await Promise.all(latestWhenDelivered), [1]);
    assert.deepEqual((await bus.since('room', 0)).events, [event]);
  });

  it('does not deliver to other channels', async () => {
    const bus = new InMemoryEventBus();
    const received: ChannelEvent[] = [];
    bus.subscribe('other', (event) => received.push(event));

    await bus.publish('room', 'note', null);

    assert.deepEqual(received, []);
  });

  it('stops delivering once unsubscribed and forgets the empty channel', async () => {
    const bus = new InMemoryEventBus();
    const received: number[] = [];
    const unsubscribe = bus.subscribe('room', (event) => received.push(event.id));
    await bus.publish('room', 't', null);

    unsubscribe();
    unsubscribe(); // twice is harmless
    await bus.publish('room', 't', null);

    assert.deepEqual(received, [1]);
    assert.equal(bus.listenerCount('room'), 0);
  });

  it('treats the same function subscribed twice as two subscriptions', async () => {
    const bus = new InMemoryEventBus();
    let calls = 0;
    const listener = () => calls++;
    const first = bus.subscribe('room', listener);
    bus.subscribe('room', listener);

    first();
    await bus.publish('room', 't', null);

    assert.equal(calls, 1);
    assert.equal(bus.listenerCount('room'), 1);
  });

  it('lets a listener unsubscribe another during delivery without skipping anyone', async () => {
    const bus = new InMemoryEventBus();
    const calls: string[] = [];
    let unsubscribeSecond = () => {};
    bus.subscribe('room', () => {
      calls.push('first');
      unsubscribeSecond();
    });
    unsubscribeSecond = bus.subscribe('room', () => calls.push('second'));

    await bus.publish('room', 't', null);
    await bus.publish('room', 't', null);

    // The second listener got the event being delivered when it was removed, then no more.
    assert.deepEqual(calls, ['first', 'second', 'first']);
  });

  it('keeps delivering when a listener throws, and reports the error', async () => {
    const errors: unknown[] = [];
    const bus = new InMemoryEventBus({ onListenerError: (error) => errors.push(error) });
    let delivered = false;
    bus.subscribe('room', () => {
      throw new Error('boom');
    });
    bus.subscribe('room', () => (delivered = true));

    const event = await bus.publish('room', 't', null);

    assert.equal(event.id, 1);
    assert.equal(delivered, true);
    assert.equal((errors[0] as Error).message, 'boom');
  });

  it('reads from the log it was given', async () => {
    const log = new ChannelLog({ capacity: 2 });
    const bus = new InMemoryEventBus({ log });
    for (const n of [1, 2, 3]) await bus.publish('room', 't', n);

    const read = await bus.since('room', 0);
    assert.deepEqual(
      read.events.map((event) => event.data),
      [2, 3],
    );
    assert.equal(read.reset, true);
  });
});
