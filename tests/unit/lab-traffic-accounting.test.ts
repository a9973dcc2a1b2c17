import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LaneTraffic, type CountedSocket } from '../../server/lab/lane-traffic.ts';
import { readTrafficTag } from '../../server/lab/traffic-tag.ts';

/** A socket whose counters the test moves by hand. */
class FakeSocket implements CountedSocket {
  bytesRead = 0;
  bytesWritten = 0;
  receive(bytes: number): this {
    this.bytesRead += bytes;
    return this;
  }
  send(bytes: number): this {
    this.bytesWritten += bytes;
    return this;
  }
  mark() {
    return { read: this.bytesRead, written: this.bytesWritten };
  }
}

describe('lab traffic accounting', () => {
  it('gives a request the bytes from the end of the previous request on its connection to the end of its response', () => {
    const lane = new LaneTraffic();
    const socket = new FakeSocket();
    // Someone else's request (not lab traffic) used the connection first: 300 up, 900 down.
    socket.receive(300).send(900);
    const start = socket.mark();
    socket.receive(480); // this request's line and headers
    const exchange = lane.begin(socket, start);
    socket.send(210); // a 304
    lane.end(exchange, socket.mark());

    assert.deepEqual(lane.snapshot(), { requests: 1, bytesUp: 480, bytesDown: 210, connectionsHeld: 0, connectionsUsed: 1 });
  });

  it('adds up keep-alive requests on one connection, and counts the connection once', () => {
    const lane = new LaneTraffic();
    const socket = new FakeSocket();
    for (const [up, down] of [
      [500, 1_200],
      [520, 180],
      [520, 180],
    ] as const) {
      const start = socket.mark();
      socket.receive(up);
      const exchange = lane.begin(socket, start);
      socket.send(down);
      lane.end(exchange, socket.mark());
    }
    assert.deepEqual(lane.snapshot(), { requests: 3, bytesUp: 1_540, bytesDown: 1_560, connectionsHeld: 0, connectionsUsed: 1 });
  });

  it('counts an open stream up to now, with no timer, and holds its connection', () => {
    const lane = new LaneTraffic();
    const socket = new FakeSocket().receive(400);
    const exchange = lane.begin(socket, { read: 0, written: 0 });
    socket.send(150); // headers and retry:
    assert.deepEqual(lane.snapshot(), { requests: 1, bytesUp: 400, bytesDown: 150, connectionsHeld: 1, connectionsUsed: 1 });

    socket.send(70).send(70); // two events
    assert.equal(lane.snapshot().bytesDown, 290);

    lane.end(exchange, socket.mark());
    lane.end(exchange, socket.receive(1_000).mark()); // idempotent: a second end changes nothing
    assert.deepEqual(lane.snapshot(), { requests: 1, bytesUp: 400, bytesDown: 290, connectionsHeld: 0, connectionsUsed: 1 });
  });

  it('counts each new connection once, and streams on different connections separately', () => {
    const lane = new LaneTraffic();
    const first = new FakeSocket().receive(100);
    const second = new FakeSocket().receive(120);
    const a = lane.begin(first, { read: 0, written: 0 });
    const b = lane.begin(second, { read: 0, written: 0 });
    first.send(10);
    second.send(20);
    assert.deepEqual(lane.snapshot(), { requests: 2, bytesUp: 220, bytesDown: 30, connectionsHeld: 2, connectionsUsed: 2 });
    lane.end(a, first.mark());
    lane.end(b, second.mark());
    assert.equal(lane.snapshot().connectionsHeld, 0);
  });
});

describe('lab traffic tags', () => {
  it('reads the lab and the technique from the query', () => {
    assert.deepEqual(readTrafficTag('/api/sse/lab-x?lab=AbCdEfGhIjKl&via=sse'), { lab: 'AbCdEfGhIjKl', via: 'sse' });
    assert.deepEqual(readTrafficTag('/api/long-poll/c?cursor=3&timeout=25000&lab=AbCdEfGhIj_-&via=long-polling'), {
      lab: 'AbCdEfGhIj_-',
      via: 'long-polling',
    });
  });

  it('ignores untagged requests, unknown techniques and malformed lab ids', () => {
    assert.equal(readTrafficTag('/api/labs/AbCdEfGhIjKl/stats'), undefined);
    assert.equal(readTrafficTag(undefined), undefined);
    assert.equal(readTrafficTag('/api/sse/c?lab=AbCdEfGhIjKl'), undefined);
    assert.equal(readTrafficTag('/api/sse/c?lab=AbCdEfGhIjKl&via=carrier-pigeon'), undefined);
    assert.equal(readTrafficTag('/api/sse/c?lab=short&via=sse'), undefined);
    assert.equal(readTrafficTag('/api/sse/c?xlab=AbCdEfGhIjKl&via=sse'), undefined);
  });
});
