import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultRegistry } from '../../server/faults/fault-registry.ts';

/** A registry on a clock the test moves by hand. */
function registry(options: { armedTtlMs?: number; maxChannels?: number } = {}) {
  let now = 1_000;
  const faults = new FaultRegistry({ ...options, now: () => now });
  return { faults, advance: (ms: number) => (now += ms) };
}

describe('FaultRegistry', () => {
  it('has nothing armed on a channel nobody touched', () => {
    const { faults } = registry();
    assert.equal(faults.takeDropNextResponse('room'), false);
    assert.equal(faults.takeServerError('room'), false);
    assert.equal(faults.slowDelayMs('room'), 0);
    assert.equal(faults.heartbeatsEnabled('room'), true);
    assert.equal(faults.retryMs('room'), undefined);
    assert.equal(faults.channelCount, 0);
  });

  it('drops exactly one response, on its own channel', () => {
    const { faults } = registry();
    faults.arm('room', { type: 'drop-next-response' });
    assert.equal(faults.takeDropNextResponse('other'), false);
    assert.equal(faults.takeDropNextResponse('room'), true);
    assert.equal(faults.takeDropNextResponse('room'), false);
    assert.equal(faults.channelCount, 0, 'a spent channel is forgotten');
  });

  it('fails `count` requests, and arming again replaces the count', () => {
    const { faults } = registry();
    faults.arm('room', { type: 'server-errors', count: 3 });
    faults.arm('room', { type: 'server-errors', count: 2 });
    assert.deepEqual(
      [1, 2, 3].map(() => faults.takeServerError('room')),
      [true, true, false],
    );
  });

  it('is slow for durationMs, and delayMs 0 ends it early', () => {
    const { faults, advance } = registry();
    faults.arm('room', { type: 'slow', delayMs: 300, durationMs: 5_000 });
    assert.equal(faults.slowDelayMs('room'), 300);
    advance(4_999);
    assert.equal(faults.slowDelayMs('room'), 300);
    advance(1);
    assert.equal(faults.slowDelayMs('room'), 0);

    faults.arm('room', { type: 'slow', delayMs: 300, durationMs: 5_000 });
    faults.arm('room', { type: 'slow', delayMs: 0, durationMs: 5_000 });
    assert.equal(faults.slowDelayMs('room'), 0);
  });

  it('turns heartbeats off until re-enabled or the armed lifetime passes', () => {
    const { faults, advance } = registry({ armedTtlMs: 60_000 });
    faults.arm('room', { type: 'heartbeats', enabled: false });
    assert.equal(faults.heartbeatsEnabled('room'), false);
    faults.arm('room', { type: 'heartbeats', enabled: true });
    assert.equal(faults.heartbeatsEnabled('room'), true);

    faults.arm('room', { type: 'heartbeats', enabled: false });
    advance(60_000);
    assert.equal(faults.heartbeatsEnabled('room'), true);
  });

  it('remembers a retry for new streams until it expires', () => {
    const { faults, advance } = registry({ armedTtlMs: 60_000 });
    faults.arm('room', { type: 'retry', retryMs: 700 });
    assert.equal(faults.retryMs('room'), 700);
    advance(60_000);
    assert.equal(faults.retryMs('room'), undefined);
  });

  it('forgets an armed fault nothing triggered', () => {
    const { faults, advance } = registry({ armedTtlMs: 60_000 });
    faults.arm('room', { type: 'drop-next-response' });
    faults.arm('room', { type: 'server-errors', count: 5 });
    advance(60_000);
    assert.equal(faults.takeDropNextResponse('room'), false);
    assert.equal(faults.takeServerError('room'), false);
    assert.equal(faults.channelCount, 0);
  });

  it('remembers nothing for faults that act at once', () => {
    const { faults } = registry();
    faults.arm('room', { type: 'kill-streams' });
    faults.arm('room', { type: 'restart-streams' });
    assert.equal(faults.channelCount, 0);
  });

  it('keeps at most maxChannels channels, forgetting the least recently armed', () => {
    const { faults } = registry({ maxChannels: 2 });
    faults.arm('a', { type: 'drop-next-response' });
    faults.arm('b', { type: 'drop-next-response' });
    faults.arm('a', { type: 'server-errors', count: 1 });
    faults.arm('c', { type: 'drop-next-response' });
    assert.equal(faults.channelCount, 2);
    assert.equal(faults.takeDropNextResponse('b'), false, 'b was the least recently armed');
    assert.equal(faults.takeDropNextResponse('a'), true);
    assert.equal(faults.takeDropNextResponse('c'), true);
  });
});
