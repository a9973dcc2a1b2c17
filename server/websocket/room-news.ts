import type { ChatMessage, Member } from '../../src/protocol/websocket.ts';

/**
 * What an instance hears about a chat room on Redis Pub/Sub, in the order
 * Redis published it. Only instances read these; clients get the
 * `ServerMessage`s made from them.
 */
export type RoomNews =
  /**
   * The member list, in join order. `version` increases with every change, so
   * a member is never sent a list older than one it has. `cause` is the member
   * whose join it announces (that member has `joined` instead). A periodic
   * re-read, sent to one instance only, has the `room` and its newest message
   * id (`lastMessageId`).
   */
  | { kind: 'presence'; version: number; members: Member[]; cause?: string; room?: string; lastMessageId?: number }
  | { kind: 'message'; message: ChatMessage }
  | { kind: 'typing'; member: Member; typing: boolean }
  /** `simulate restart`: every instance closes its members of the room; `origin` has closed its own already. */
  | { kind: 'restart'; origin: string };

const KINDS = new Set<string>(['presence', 'message', 'typing', 'restart']);

/** Reads one Pub/Sub message; undefined when it is not room news (another version of the server, a stray publish). */
export function parseRoomNews(payload: string): RoomNews | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (value as RoomNews) : undefined;
}

/** The Pub/Sub message of a `typing` change. */
export function typingNews(member: Member, typing: boolean): string {
  return JSON.stringify({ kind: 'typing', member, typing } satisfies RoomNews);
}

/** The Pub/Sub message of a simulated restart started on instance `origin`. */
export function restartNews(origin: string): string {
  return JSON.stringify({ kind: 'restart', origin } satisfies RoomNews);
}
