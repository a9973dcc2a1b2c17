import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import type { Logger } from '../../server/logger.ts';
import { connectRedis, type RedisConnection } from '../../server/redis/redis-connection.ts';
import { NEW_MEMBER_LIVE, type MemberLive, type MemberLiveUpdate, type WorkshopLiveState } from '../../server/workshops/live-state.ts';
import { MemoryLiveState } from '../../server/workshops/memory-live-state.ts';
import { memberKeys } from '../../server/workshops/redis-live-keys.ts';
import { RedisLiveState } from '../../server/workshops/redis-live-state.ts';
import { startTestRedis } from '../harness/redis-server.ts';
import { waitUntil } from '../harness/wait-until.ts';

const redis = await startTestRedis();
after(() => redis.stop());
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Two handles on one live state: the same object in memory, two "instances" on one Redis prefix. */
interface Engine {
  name: string;
  skip?: string;
  open(options?: { lockMs?: number }): Promise<{ first: WorkshopLiveState; second: WorkshopLiveState; redis?: RedisConnection }>;
}

const connections: RedisConnection[] = [];
after(() => Promise.all(connections.map((connection) => connection.close())));

const engines: Engine[] = [
  {
    name: 'in memory',
    async open() {
      const state = new MemoryLiveState();
      return { first: state, second: state };
    },
  },
  {
    name: 'in Redis, two instances',
    skip: redis.skip,
    async open({ lockMs } = {}) {
      const prefix = redis.prefix();
      const [one, two] = [connectRedis(redis.url, prefix, quiet), connectRedis(redis.url, prefix, quiet)];
      connections.push(one, two);
      await waitUntil(() => one.unavailableReason() === undefined && two.unavailableReason() === undefined, 'Redis');
      return { first: new RedisLiveState({ redis: one, lockMs }), second: new RedisLiveState({ redis: two, lockMs }), redis: one };
    },
  },
];

/** An update that keeps `live` (changed by `change`) and follows the learner `learner-<member>`. */
function keep(memberId: string, live: MemberLive, offlineAt: number | null = null, present = true): MemberLiveUpdate {
  return { live, offlineAt, learner: { id: `learner-${memberId}`, membership: { code: 'K7QX2M', memberId }, present } };
}

for (const engine of engines) {
  describe(`the workshops' live state ${engine.name}`, { skip: engine.skip }, () => {
    it('runs the updates of one member one at a time, across instances, each on what the last one wrote', async () => {
      const { first, second } = await engine.open();
      const updates = Array.from({ length: 20 }, (_, index) =>
        (index % 2 ? first : second).updateMember('w1', 'm1', async (live) => {
          // A read, a pause (the store, a publish), a write: interleaved, some increments would be lost.
          await delay(1);
          return keep('m1', { ...live, channels: [...live.channels, String(index)] });
        }),
      );
      await Promise.all(updates);
      const { channels } = (await first.readMembers('w1', ['m1'])).get('m1')!;
      assert.equal(channels.length, 20);
      assert.deepEqual(await second.readMembers('w1', ['nobody']), new Map([['nobody', NEW_MEMBER_LIVE]]));
    });

    it('keeps every field of a record, and writes leases as added and removed so a renewal meanwhile stays', async () => {
      const { first, second } = await engine.open();
      const record: MemberLive = {
        presence: { lastSeenAt: 1_000, streams: [{ id: 's1', expiresAt: 5_000 }], lastStreamClosedAt: 900, withoutStream: true },
        lesson: 'websockets',
        channels: ['demo-a', 'demo_b'],
        progress: {
          completed: { 'short-polling': 2_000 },
          verified: { 'short-polling': 1_500 },
          quiz: { at: 3_000, score: 1, points: 1.5, total: 2, answers: { chat: 'sse' } },
        },
        sentKey: '{"id":"m1"}',
      };
      await first.updateMember('w2', 'm1', async () => keep('m1', record));
      assert.deepEqual((await second.readMembers('w2', ['m1'])).get('m1'), record);

      await second.updateMember('w2', 'm1', async (live) => {
        // Renewed by the instance holding s1 while this update adds s2.
        await first.renewStreams([{ workshopId: 'w2', memberId: 'm1', streamId: 's1' }], 9_000);
        return keep('m1', { ...live, presence: { ...live.presence, streams: [...live.presence.streams, { id: 's2', expiresAt: 6_000 }] } });
      });
      const streams = (await first.readMembers('w2', ['m1'])).get('m1')!.presence.streams;
      assert.deepEqual(
        [...streams].sort((x, y) => x.id.localeCompare(y.id)),
        [
          { id: 's1', expiresAt: 9_000 },
          { id: 's2', expiresAt: 6_000 },
        ],
      );
      // A closed stream is not brought back by a late renewal.
      await first.updateMember('w2', 'm1', async (live) =>
        keep('m1', { ...live, presence: { ...live.presence, streams: live.presence.streams.filter((lease) => lease.id !== 's1') } }),
      );
      await second.renewStreams([{ workshopId: 'w2', memberId: 'm1', streamId: 's1' }], 10_000);
      assert.deepEqual((await second.readMembers('w2', ['m1'])).get('m1')!.presence.streams, [{ id: 's2', expiresAt: 6_000 }]);
    });

    it('indexes the members online by the time they turn offline, for the sweep', async () => {
      const { first, second } = await engine.open();
      await first.updateMember('w3', 'early', async (live) => keep('early', live, 1_000));
      await second.updateMember('w3', 'late', async (live) => keep('late', live, 5_000));
      await first.updateMember('w3', 'gone', async (live) => keep('gone', live, null));
      assert.deepEqual(await second.dueMembers('w3', 2_000), { due: ['early'], online: 2 });
      await second.updateMember('w3', 'early', async (live) => keep('early', live, null));
      assert.deepEqual(await first.dueMembers('w3', 6_000), { due: ['late'], online: 1 });
    });

    it('follows a learner while their member is present, and not after they leave', async () => {
      const { first, second } = await engine.open();
      await first.updateMember('w4', 'm4', async (live) => keep('m4', live));
      assert.deepEqual(await second.membershipsOf('learner-m4'), [{ code: 'K7QX2M', memberId: 'm4' }]);
      await second.updateMember('w4', 'm4', async (live) => keep('m4', live, null, false));
      assert.deepEqual(await first.membershipsOf('learner-m4'), []);
    });

    it('keeps the newest broadcasts, oldest first', async () => {
      const { first, second } = await engine.open();
      for (let at = 1; at <= 4; at += 1) {
        await (at % 2 ? first : second).addBroadcast('w5', { text: `n${at}`, at, members: 1, channels: 1 }, 3);
      }
      assert.deepEqual(
        (await second.broadcasts('w5')).map(({ text }) => text),
        ['n2', 'n3', 'n4'],
      );
    });

    it('runs the exclusive tasks of one workshop one at a time across instances', async () => {
      const { first, second } = await engine.open();
      let running = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          (index % 2 ? first : second).exclusive('w6', async () => {
            most = Math.max(most, ++running);
            await delay(3);
            running -= 1;
          }),
        ),
      );
      assert.equal(most, 1);
    });

    it('frees the member after an update that failed', async () => {
      const { first, second } = await engine.open();
      await assert.rejects(
        first.updateMember('w7', 'm7', async () => {
          throw new Error('the store is away');
        }),
        /the store is away/,
      );
      const started = Date.now();
      await second.updateMember('w7', 'm7', async (live) => keep('m7', { ...live, lesson: 'choosing' }));
      assert.ok(Date.now() - started < 500, 'not held until the lock expires');
      assert.equal((await first.readMembers('w7', ['m7'])).get('m7')!.lesson, 'choosing');
    });
  });
}

describe("the workshops' live state in Redis, when an instance dies holding a member's lock", { skip: redis.skip }, () => {
  it('lets the next update through once the lock expires', async () => {
    const { first, redis: connection } = await engines[1]!.open({ lockMs: 300 });
    // What a killed instance leaves behind: the lock, with its TTL, and no release to come.
    const { lock } = memberKeys(connection!.prefix, 'w8', 'm8');
    await connection!.commands.sendCommand(['SET', lock, 'dead-instance', 'PX', '300']);
    const started = Date.now();
    await first.updateMember('w8', 'm8', async (live) => keep('m8', { ...live, lesson: 'why-real-time' }));
    const waited = Date.now() - started;
    assert.ok(waited >= 200 && waited < 1_500, `waited ${waited} ms`);
    assert.equal((await first.readMembers('w8', ['m8'])).get('m8')!.lesson, 'why-real-time');
  });
});
