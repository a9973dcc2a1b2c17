import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient } from '@redis/client';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus, type EventBus } from '../../server/events/event-bus.ts';
import { BackplaneUnavailableError } from '../../server/redis/backplane-unavailable.ts';
import { RedisEventBus } from '../../server/events/redis-event-bus.ts';
import type { Logger } from '../../server/logger.ts';
import { connectRedis, type RedisConnection } from '../../server/redis/redis-connection.ts';
import { startTestRedis, type TestRedis } from '../harness/redis-server.ts';
import { waitUntil } from '../harness/wait-until.ts';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Two handles on one log: two instances sharing Redis, or the same in-memory bus twice. */
interface Pair {
  a: EventBus;
  b: EventBus;
  close(): Promise<void>;
}

// Started before the suites are declared: whether they skip depends on it.
const redis: TestRedis = await startTestRedis();
after(() => redis.stop());

const engines: { name: string; skip: () => string | undefined; pair: (capacity?: number) => Promise<Pair> }[] = [
  {
    name: 'in memory',
    skip: () => undefined,
    pair: async (capacity) => {
      const bus = new InMemoryEventBus({ log: new ChannelLog({ capacity }) });
      return { a: bus, b: bus, close: async () => {} };
    },
  },
  {
    name: 'Redis, two instances',
    skip: () => redis.skip,
    pair: async (capacity) => {
      const prefix = redis.prefix();
      const connections = [connectRedis(redis.url, prefix, quiet), connectRedis(redis.url, prefix, quiet)];
      await waitUntil(() => connections.every((connection) => connection.unavailableReason() === undefined), 'Redis connected');
      const [a, b] = connections.map((connection) => new RedisEventBus({ redis: connection, logger: quiet, capacity }));
      if (!a || !b) throw new Error('two buses expected');
      // The pattern subscription is confirmed asynchronously: wait until a probe comes through.
      await untilLive(a, b);
      return {
        a,
        b,
        close: async () => {
          await Promise.all([a.close(), b.close()]);
          await Promise.all(connections.map((connection) => connection.close()));
        },
      };
    },
  },
];

/** One instance's bus on the test Redis, connected. */
async function connectedBus(): Promise<{ connection: RedisConnection; bus: RedisEventBus }> {
  const connection = connectRedis(redis.url, redis.prefix(), quiet);
  await waitUntil(() => connection.unavailableReason() === undefined, 'Redis connected');
  return { connection, bus: new RedisEventBus({ redis: connection, logger: quiet }) };
}

/** Publishes probes on A until B's subscription delivers one. */
async function untilLive(a: EventBus, b: EventBus): Promise<void> {
  let seen = false;
  const stop = b.subscribe('probe', () => (seen = true));
  await waitUntil(async () => {
    await a.publish('probe', 'probe', null);
    return seen;
  }, 'the subscription is live');
  stop();
}

for (const engine of engines) {
  describe(`the event bus (${engine.name})`, { skip: engine.skip() }, () => {
    it('gives strictly increasing ids per channel whichever instance publishes, and delivers them in order', async () => {
      const { a, b, close } = await engine.pair();
      try {
        const received: number[] = [];
        const stop = b.subscribe('ids', (event) => received.push(event.id));
        const published = await Promise.all(Array.from({ length: 100 }, (_, n) => (n % 2 === 0 ? a : b).publish('ids', 'n', n)));
        const ids = published.map((event) => event.id).sort((x, y) => x - y);
        assert.deepEqual(
          ids,
          Array.from({ length: 100 }, (_, n) => n + 1),
        );
        await waitUntil(
          () => received.length === 100,
          () => `100 events delivered, got ${received.length}`,
        );
        assert.deepEqual(received, ids);
        stop();
      } finally {
        await close();
      }
    });

    it('reads the same log from either instance, with reset for a cursor evicted or ahead', async () => {
      const { a, b, close } = await engine.pair(5);
      try {
        for (let n = 1; n <= 8; n += 1) await a.publish('log', 'n', { n, big: 2 ** 53 - n });
        const read = await b.since('log', 3);
        assert.equal(read.reset, false);
        assert.deepEqual(
          read.events.map((event) => event.id),
          [4, 5, 6, 7, 8],
        );
        assert.deepEqual(read.events[0]!.data, { n: 4, big: 2 ** 53 - 4 }, 'JSON kept exactly');
        assert.equal(typeof read.events[0]!.ts, 'number');
        assert.equal((await b.since('log', 2)).reset, true, 'evicted');
        assert.equal((await b.since('log', 9)).reset, true, 'ahead');
        assert.deepEqual(await b.since('log', 8), { events: [], reset: false, latestId: 8 });
        assert.equal(await b.latestId('log'), 8);
        assert.equal(await b.latestId('never'), 0);
        assert.equal(a.epoch, b.epoch);
      } finally {
        await close();
      }
    });
  });
}

describe('the Redis event bus when Redis fails', { skip: redis.skip }, () => {
  it('fills a gap from the log when its subscription missed messages', async () => {
    const prefix = redis.prefix();
    const connections: RedisConnection[] = [connectRedis(redis.url, prefix, quiet), connectRedis(redis.url, prefix, quiet)];
    await waitUntil(() => connections.every((connection) => connection.unavailableReason() === undefined), 'Redis connected');
    const [a, b] = connections.map((connection) => new RedisEventBus({ redis: connection, logger: quiet }));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      await untilLive(a!, b!);
      const received: ChannelEvent[] = [];
      b!.subscribe('gap', (event) => received.push(event));
      await a!.publish('gap', 'n', 1);
      await waitUntil(() => received.length === 1, 'the first event');
      // Cut every Pub/Sub connection: B misses what A publishes until its subscription is back.
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      for (let n = 2; n <= 6; n += 1) await a!.publish('gap', 'n', n);
      await waitUntil(
        () => received.length === 6,
        () => `6 events, got ${received.map((event) => event.id)}`,
        10_000,
      );
      assert.deepEqual(
        received.map((event) => event.id),
        [1, 2, 3, 4, 5, 6],
      );
    } finally {
      await admin.close();
      await Promise.all(connections.map((connection) => connection.close()));
    }
  });

  it('refuses publishes while Redis is down, reports why, and recovers by itself', async () => {
    const { connection, bus } = await connectedBus();
    try {
      await untilLive(bus, bus);
      const received: number[] = [];
      bus.subscribe('outage', (event) => received.push(event.data as number));
      await bus.publish('outage', 'n', 1);
      const restarted = redis.restart({ downMs: 1_500 });
      await waitUntil(() => bus.unavailableReason() !== undefined, 'the outage is noticed', 10_000);
      await assert.rejects(bus.publish('outage', 'n', 2), BackplaneUnavailableError);
      await restarted;
      await waitUntil(() => bus.unavailableReason() === undefined, 'Redis is back', 15_000);
      await untilLive(bus, bus);
      await bus.publish('outage', 'n', 3);
      await waitUntil(() => received.includes(3), 'delivery resumed');
      // The log survived the restart (append-only file): ids go on from where they were.
      assert.deepEqual(
        (await bus.since('outage', 0)).events.map((event) => event.data),
        [1, 3],
      );
    } finally {
      await connection.close();
    }
  });

  it('tells its listeners when Redis comes back without its data, then follows the new ids', async () => {
    const { connection, bus } = await connectedBus();
    try {
      await untilLive(bus, bus);
      const received: number[] = [];
      let lost = 0;
      bus.subscribe(
        'wiped',
        (event) => received.push(event.id),
        () => (lost += 1),
      );
      for (let n = 1; n <= 3; n += 1) await bus.publish('wiped', 'n', n);
      await waitUntil(() => received.length === 3, 'three events');
      const epoch = bus.epoch;
      await redis.restart({ wipe: true });
      await waitUntil(() => lost === 1, 'the listener is told the log was lost', 15_000);
      // Ids start over at 1: delivered, not taken for duplicates of the old 1.
      await bus.publish('wiped', 'n', 'after');
      await waitUntil(
        () => received.length === 4,
        () => `the new event, got ${received}`,
      );
      assert.deepEqual(received, [1, 2, 3, 1]);
      await waitUntil(() => bus.epoch !== epoch, 'a new epoch, so no old ETag matches');
    } finally {
      await connection.close();
    }
  });
});
