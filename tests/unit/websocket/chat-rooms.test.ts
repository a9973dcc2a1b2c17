import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatRooms, type ChatParticipant } from '../../../server/websocket/chat-rooms.ts';

const participant = (id: string, name = id): ChatParticipant => ({ member: { id, name } });

describe('ChatRooms', () => {
  it('lists members in join order and tells who is left', () => {
    const rooms = new ChatRooms();
    rooms.join('lobby', participant('a'));
    const { members } = rooms.join('lobby', participant('b'));
    assert.deepEqual(
      members.map(({ id }) => id),
      ['a', 'b'],
    );
    assert.deepEqual(rooms.leave('lobby', 'a'), [{ id: 'b', name: 'b' }]);
    assert.equal(rooms.leave('lobby', 'a'), undefined, 'leaving twice changes nothing');
  });

  it('numbers messages per room and recognises a resent clientId', () => {
    const rooms = new ChatRooms({ now: () => 5 });
    const ada = participant('a', 'Ada');
    rooms.join('one', ada);
    rooms.join('two', ada);
    const first = rooms.post('one', ada.member, 'hi', 'c1');
    assert.deepEqual(first, {
      duplicate: false,
      message: { id: 1, clientId: 'c1', from: ada.member, text: 'hi', ts: 5 },
    });
    assert.equal(rooms.post('two', ada.member, 'hi', 'c1').message.id, 1, 'another room, another sequence');
    assert.deepEqual(rooms.post('one', ada.member, 'hi again', 'c1'), { ...first, duplicate: true });
    assert.equal(rooms.post('one', ada.member, 'new', 'c2').message.id, 2);
  });

  it('keeps the last historySize messages and a bounded set of clientIds', () => {
    const rooms = new ChatRooms({ historySize: 3, rememberedClientIds: 5 });
    const ada = participant('a');
    rooms.join('r', ada);
    for (let index = 1; index <= 10; index += 1) rooms.post('r', ada.member, `m${index}`, `c${index}`);
    assert.deepEqual(
      rooms.join('r', participant('b')).history.map(({ text }) => text),
      ['m8', 'm9', 'm10'],
    );
    assert.equal(rooms.post('r', ada.member, 'again', 'c6').duplicate, true, 'among the last 5');
    assert.equal(rooms.post('r', ada.member, 'again', 'c5').duplicate, false, 'forgotten: delivered again');
  });

  it('forgets a room that stayed empty past the TTL, never one with members', () => {
    let now = 0;
    const rooms = new ChatRooms({ emptyRoomTtlMs: 1000, now: () => now });
    const ada = participant('a');
    rooms.join('empty', ada);
    rooms.post('empty', ada.member, 'hi', 'c1');
    rooms.leave('empty', 'a');
    rooms.join('busy', participant('b'));
    now = 999;
    assert.equal(rooms.sweep(), 0);
    now = 1000;
    assert.equal(rooms.sweep(), 1);
    assert.equal(rooms.size, 1);
    assert.deepEqual(rooms.join('empty', ada).history, [], 'a forgotten room starts over');
    now = 1_000_000;
    assert.equal(rooms.sweep(), 0);
  });

  it('past maxRooms forgets the least recently used empty room first', () => {
    const rooms = new ChatRooms({ maxRooms: 2 });
    const a = participant('a');
    rooms.join('old', a);
    rooms.post('old', a.member, 'x', 'c1');
    rooms.leave('old', 'a');
    rooms.join('occupied', participant('b'));
    rooms.join('new', participant('c'));
    assert.equal(rooms.size, 2);
    assert.deepEqual(rooms.members('occupied'), [{ id: 'b', name: 'b' }]);
    // Every room occupied: none is forgotten, the bound gives way to people.
    rooms.join('fourth', participant('d'));
    assert.equal(rooms.size, 3);
  });
});
