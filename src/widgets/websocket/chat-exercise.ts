import type { ChatMessage } from '../../protocol/websocket.ts';
import type { ChatPane, PaneId } from './model.ts';

/**
 * The lesson's exercise: go offline in one pane, send at least two messages
 * while it is offline, come back. It passes when the other pane has each of
 * them exactly once — counted by clientId, and with the id the server
 * acknowledged — after the outbox re-sent them on the new connection.
 */
export const EXERCISE = {
  lesson: 'websockets',
  id: 'exactly-once-offline',
  minMessages: 2,
} as const;

export interface ExerciseCheck {
  /** The pane the check follows (the one with the most messages sent while offline), or null. */
  pane: PaneId | null;
  wentOffline: boolean;
  /** Messages sent while that pane was offline. */
  sentWhileOffline: number;
  /** That pane is connected and back in the room. */
  back: boolean;
  /** Of those messages: acknowledged by the server. */
  acked: number;
  /** Of those messages: in the other pane exactly once, with the acknowledged id. */
  deliveredOnce: number;
  /** Of those messages: in the other pane more than once (a broken dedupe would show here). */
  duplicates: number;
  passed: boolean;
}

/** Checks the exercise for the pane that went offline (see {@link EXERCISE}). Pure, for tests and the view. */
export function checkExercise(panes: readonly [ChatPane, ChatPane]): ExerciseCheck {
  const [a, b] = panes;
  const candidates = [
    { pane: a, other: b },
    { pane: b, other: a },
  ];
  const scored = candidates
    .map(({ pane, other }) => ({ pane, other, check: checkPane(pane, other) }))
    .sort(
      (x, y) =>
        Number(y.check.passed) - Number(x.check.passed) ||
        y.check.sentWhileOffline - x.check.sentWhileOffline ||
        Number(y.check.wentOffline) - Number(x.check.wentOffline),
    );
  const best = scored[0]!;
  return best.check.wentOffline || best.check.sentWhileOffline > 0 ? best.check : { ...best.check, pane: null };
}

function checkPane(pane: ChatPane, other: ChatPane): ExerciseCheck {
  const ids = pane.sentWhileOffline.value;
  const acks = pane.acks.value;
  const copies = new Map<string, ChatMessage[]>();
  for (const message of other.received.value) {
    if (!ids.includes(message.clientId)) continue;
    copies.set(message.clientId, [...(copies.get(message.clientId) ?? []), message]);
  }
  let acked = 0;
  let deliveredOnce = 0;
  let duplicates = 0;
  for (const clientId of ids) {
    const ackedId = acks.get(clientId) ?? null;
    if (ackedId !== null) acked++;
    const found = copies.get(clientId) ?? [];
    if (found.length > 1) duplicates++;
    else if (found.length === 1 && found[0]!.id === ackedId) deliveredOnce++;
  }
  const back = pane.socket.state.value.status === 'open' && pane.socket.inRoom.value;
  return {
    pane: pane.id,
    wentOffline: pane.wentOffline.value,
    sentWhileOffline: ids.length,
    back,
    acked,
    deliveredOnce,
    duplicates,
    passed: ids.length >= EXERCISE.minMessages && back && acked === ids.length && deliveredOnce === ids.length && duplicates === 0,
  };
}
