import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatInstanceChannel, chatRoomKeys } from '../../../server/websocket/redis-chat-keys.ts';
import { parseRoomNews, restartNews, typingNews } from '../../../server/websocket/room-news.ts';

describe('room news on Pub/Sub', () => {
  it('reads back what the server publishes, and what the scripts publish', () => {
    const ada = { id: 'a1', name: 'Ada' };
    assert.deepEqual(parseRoomNews(typingNews(ada, true)), { kind: 'typing', member: ada, typing: true });
    assert.deepEqual(parseRoomNews(restartNews('instance-1')), { kind: 'restart', origin: 'instance-1' });
    assert.deepEqual(parseRoomNews('{"kind":"presence","version":3,"members":[{"id":"a1","name":"Ada"}],"room":"lobby"}'), {
      kind: 'presence',
      version: 3,
      members: [ada],
      room: 'lobby',
    });
  });

  it('ignores what is not room news', () => {
    for (const payload of ['', 'not json', 'null', '42', '{"kind":"other"}', '{"type":"message"}']) {
      assert.equal(parseRoomNews(payload), undefined, payload);
    }
  });
});

describe('the Redis keys of a chat room', () => {
  it('puts every key of a room under one hash tag and the prefix, and the channels outside it', () => {
    const keys = chatRoomKeys('rtw:', 'lobby');
    const { channel, ...stored } = keys;
    for (const key of Object.values(stored)) assert.match(key, /^rtw:chat:\{lobby\}:/);
    assert.equal(new Set(Object.values(stored)).size, Object.keys(stored).length, 'all distinct');
    assert.equal(channel, 'rtw:chat-room:lobby');
    assert.equal(chatInstanceChannel('rtw:', 'i1'), 'rtw:chat-instance:i1');
    assert.notEqual(chatRoomKeys('rtw:', 'other').members, keys.members);
  });
});
