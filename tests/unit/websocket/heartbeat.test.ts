import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, mock } from 'node:test';
import type { WebSocket } from 'ws';
import { Heartbeat } from '../../../server/websocket/heartbeat.ts';

/** Just what the heartbeat uses of a socket. */
class FakeSocket extends EventEmitter {
  pings = 0;
  ping(): void {
    this.pings += 1;
  }
}
const asSocket = (fake: FakeSocket) => fake as unknown as WebSocket;

describe('Heartbeat', () => {
  it('pings every interval and reports a socket that missed a pong at the next tick', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const silent: WebSocket[] = [];
    let ticks = 0;
    const heartbeat = new Heartbeat({
      intervalMs: 100,
      onSilent: (socket) => silent.push(socket),
      onTick: () => ticks++,
    });
    const answering = new FakeSocket();
    const mute = new FakeSocket();
    heartbeat.track(asSocket(answering));
    heartbeat.track(asSocket(mute));

    t.mock.timers.tick(100);
    assert.deepEqual([answering.pings, mute.pings], [1, 1]);
    answering.emit('pong');
    t.mock.timers.tick(100);
    assert.deepEqual(silent, [asSocket(mute)]);
    assert.equal(answering.pings, 2);
    assert.equal(heartbeat.size, 1);
    assert.equal(ticks, 2);
    heartbeat.stop();
  });

  it('stops watching an untracked socket and removes its listener', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const onSilent = mock.fn();
    const heartbeat = new Heartbeat({ intervalMs: 10, onSilent });
    const socket = new FakeSocket();
    heartbeat.track(asSocket(socket));
    heartbeat.untrack(asSocket(socket));
    t.mock.timers.tick(50);
    assert.equal(socket.pings, 0);
    assert.equal(socket.listenerCount('pong'), 0);
    assert.equal(onSilent.mock.callCount(), 0);
    heartbeat.stop();
  });
});
