import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chosenRoom, inviteLink, ROOM_PREFIX } from '../../../src/widgets/websocket/room.ts';

/** An in-memory stand-in for sessionStorage. */
function memoryStore() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('the chat room a widget joins', () => {
  it('is the room an invite link names', () => {
    assert.equal(chosenRoom('?room=ws-friends', 'default', memoryStore()), 'ws-friends');
  });

  it("is the tab's own room without an invite, the same on every call", () => {
    const store = memoryStore();
    const room = chosenRoom('', 'default', store);
    assert.ok(room.startsWith(ROOM_PREFIX));
    assert.equal(chosenRoom('?other=1', 'default', store), room);
  });

  it('ignores an invite whose room name the server would refuse', () => {
    const store = memoryStore();
    for (const search of ['?room=', '?room=has%20space', `?room=${'x'.repeat(65)}`, '?room=%3Cb%3E']) {
      assert.ok(chosenRoom(search, 'default', store).startsWith(ROOM_PREFIX), search);
    }
  });

  it('builds an invite link to the same page', () => {
    assert.equal(
      inviteLink({ origin: 'http://localhost:4321', pathname: '/lessons/websockets/' }, 'ws-ab12'),
      'http://localhost:4321/lessons/websockets/?room=ws-ab12',
    );
  });
});
