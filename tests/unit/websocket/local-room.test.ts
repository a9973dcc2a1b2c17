import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatMessage, Member, ServerMessage } from '../../../src/protocol/websocket.ts';
import type { ChatRecipient } from '../../../server/websocket/chat-backend.ts';
import { LocalRoom } from '../../../server/websocket/local-room.ts';
import type { RoomNews } from '../../../server/websocket/room-news.ts';

/** A member that records what it was sent, as `type id|names|…` lines. */
class Recorder implements ChatRecipient {
  readonly member: Member;
  readonly lines: string[] = [];
  constructor(id: string) {
    this.member = { id, name: id };
  }
  send(message: ServerMessage): boolean {
    this.lines.push(summary(message));
    return true;
  }
  sendEncoded(payload: Buffer): boolean {
    return this.send(JSON.parse(payload.toString()) as ServerMessage);
  }
}

function summary(message: ServerMessage): string {
  switch (message.type) {
    case 'message':
      return `message ${message.message.id}`;
    case 'ack':
      return `ack ${message.id}`;
    case 'presence':
      return `presence ${message.members.map(({ name }) => name).join(',')}`;
    case 'typing':
      return `typing ${message.member.name}`;
    default:
      return message.type;
  }
}

const chat = (id: number, from = 'x', clientId = `c${id}`): ChatMessage => ({
  id,
  clientId,
  from: { id: from, name: from },
  text: `t${id}`,
  ts: 0,
});
const message = (id: number, from?: string, clientId?: string): RoomNews => ({
  kind: 'message',
  message: chat(id, from, clientId),
});
const presence = (version: number, names: string[], cause?: string): RoomNews => ({
  kind: 'presence',
  version,
  members: names.map((name) => ({ id: name, name })),
  cause,
});
/** The list a periodic re-read sends this instance alone. */
const reread = (version: number, names: string[], lastMessageId: number): RoomNews => ({
  kind: 'presence',
  version,
  members: names.map((name) => ({ id: name, name })),
  room: 'r',
  lastMessageId,
});

function room(history: ChatMessage[] = [], closed: Recorder[][] = []) {
  const reads: (() => void)[] = [];
  const local = new LocalRoom<Recorder>({
    room: 'r',
    instanceId: 'me',
    // Resolved by the test, to hold the read open while news arrive.
    readHistory: () => new Promise((resolve) => reads.push(() => resolve(history))),
    closeForRestart: (participants) => closed.push(participants),
  });
  return { local, reads };
}

describe('LocalRoom', () => {
  it("holds a newcomer's news until its join is answered, then sends only what came after the join", () => {
    const { local } = room();
    const ada = new Recorder('ada');
    local.add(ada);
    // Published before the join (ids ≤ 5, version ≤ 7: already in `joined`), and after it.
    for (const news of [message(5), presence(7, ['bob', 'ada'], 'ada'), message(6), presence(8, ['bob', 'ada', 'cy'])]) {
      local.receive(news);
    }
    assert.deepEqual(ada.lines, [], 'nothing before joined');
    ada.send({ type: 'joined', room: 'r', you: ada.member, history: [], members: [] }); // as the backend does
    local.open(ada, 5, 7);
    assert.deepEqual(ada.lines, ['joined', 'message 6', 'presence bob,ada,cy']);
    local.receive(message(7));
    assert.deepEqual(ada.lines.at(-1), 'message 7');
  });

  it('never sends the newcomer its own join, nor a member list older than the one it has', () => {
    const { local } = room();
    const bob = new Recorder('bob');
    local.add(bob);
    local.open(bob, 0, 3);
    local.receive(presence(2, ['stale']));
    local.receive(presence(4, ['bob', 'ada']));
    local.receive(presence(4, ['bob', 'ada'])); // the same list re-read: nothing new
    const ada = new Recorder('ada');
    local.add(ada);
    local.receive(presence(5, ['bob', 'ada'], 'ada'));
    local.open(ada, 0, 5);
    assert.deepEqual(bob.lines, ['presence bob,ada', 'presence bob,ada']);
    assert.deepEqual(ada.lines, []);
  });

  it("sends the sender's ack before its message, whichever Redis answers first, and each once", () => {
    const { local } = room();
    const ada = new Recorder('ada');
    const bob = new Recorder('bob');
    for (const member of [ada, bob]) {
      local.add(member);
      local.open(member, 0, 1);
    }
    // The Pub/Sub message overtakes the script's answer.
    local.expectAck(ada, 'c1');
    local.receive(message(1, 'ada', 'c1'));
    local.acknowledge(ada, 'c1', 1);
    // The script's answer comes first.
    local.expectAck(ada, 'c2');
    local.acknowledge(ada, 'c2', 2);
    local.receive(message(2, 'ada', 'c2'));
    assert.deepEqual(ada.lines, ['ack 1', 'message 1', 'ack 2', 'message 2']);
    assert.deepEqual(bob.lines, ['message 1', 'message 2']);
  });

  it('fills a gap from the history, holding what arrives meanwhile, and sends every message once, in order', async () => {
    const { local, reads } = room([chat(2), chat(3), chat(4)]);
    const ada = new Recorder('ada');
    local.add(ada);
    local.open(ada, 0, 1);
    local.receive(message(1));
    local.receive(message(4)); // 2 and 3 were lost
    local.receive(presence(2, ['ada', 'bob']));
    local.receive(message(5));
    assert.deepEqual(ada.lines, ['message 1']);
    reads.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ada.lines, ['message 1', 'message 2', 'message 3', 'message 4', 'presence ada,bob', 'message 5']);
  });

  it('resyncs after the subscription reconnected: what the history has that members lack', async () => {
    const { local, reads } = room([chat(1), chat(2), chat(3)]);
    const ada = new Recorder('ada');
    local.add(ada);
    local.open(ada, 1, 1);
    local.resync();
    reads.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ada.lines, ['message 2', 'message 3']);
  });

  it('tells typing to the others only, and closes everyone on a restart announced by another instance', () => {
    const closed: Recorder[][] = [];
    const { local } = room([], closed);
    const ada = new Recorder('ada');
    const bob = new Recorder('bob');
    for (const member of [ada, bob]) {
      local.add(member);
      local.open(member, 0, 1);
    }
    local.receive({ kind: 'typing', member: ada.member, typing: true });
    assert.deepEqual([ada.lines, bob.lines], [[], ['typing ada']]);
    local.receive({ kind: 'restart', origin: 'me' });
    assert.deepEqual(closed, [], 'this instance closed its own already');
    local.receive({ kind: 'restart', origin: 'another' });
    assert.deepEqual(closed, [[ada, bob]]);
  });

  it('starts over from a re-read whose counters went back (Redis lost the room), and only then', async () => {
    // The history is read after message 4 was posted: it runs ahead of the re-read below, which is no loss.
    const { local, reads } = room([chat(1), chat(2), chat(3), chat(4)]);
    const ada = new Recorder('ada');
    local.add(ada);
    local.open(ada, 0, 1);
    local.receive(presence(2, ['ada', 'bob']));
    local.receive(message(1));
    local.receive(message(3)); // 2 was lost
    local.receive(reread(2, ['ada', 'bob'], 3));
    reads.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    local.receive(message(4));
    assert.deepEqual(ada.lines, ['presence ada,bob', 'message 1', 'message 2', 'message 3', 'message 4']);
    // Flushed: ids and versions start again from 1.
    local.receive(message(1, 'bob', 'after-flush-1'));
    local.receive(reread(1, ['bob', 'ada'], 1));
    local.receive(message(2, 'bob', 'after-flush-2'));
    assert.deepEqual(ada.lines.slice(5), ['presence bob,ada', 'message 2']);
  });

  it('stops sending to a member that left, and owes it no ack', () => {
    const { local } = room();
    const ada = new Recorder('ada');
    local.add(ada);
    local.open(ada, 0, 1);
    local.expectAck(ada, 'c1');
    assert.equal(local.remove('ada'), true);
    local.receive(message(1, 'ada', 'c1'));
    local.acknowledge(ada, 'c1', 1);
    assert.deepEqual(ada.lines, []);
    assert.equal(local.size, 0);
  });
});
