import assert from 'node:assert/strict';
import type { ServerMessage } from '../../../src/protocol/websocket.ts';
import type { TestSocket } from './websocket-client.ts';

/** A socket that joined a chat room, and the `joined` it got. */
export interface JoinedMember {
  socket: TestSocket;
  joined: Extract<ServerMessage, { type: 'joined' }>;
}

/**
 * The typing story: the typist starts typing, the other member is told, and
 * the typist is not — had she been, her own `typing` would arrive before the
 * message the other member sends next.
 */
export async function assertTypingReachesOthersOnly(typist: JoinedMember, other: JoinedMember, clientId: string): Promise<void> {
  typist.socket.send({ type: 'typing', typing: true });
  assert.deepEqual(await other.socket.next('typing'), {
    type: 'typing',
    room: typist.joined.room,
    member: typist.joined.you,
    typing: true,
  });
  other.socket.send({ type: 'message', text: 'go on', clientId });
  assert.equal((await typist.socket.next('message')).message.text, 'go on');
}
