import type { ChatMessage } from '../../protocol/websocket.ts';

export type Delivery = 'sending' | 'delivered';

/** One line of a pane's message list. */
export interface ChatItem {
  key: string;
  /** The server's per-room id; null while the message waits in the outbox. */
  id: number | null;
  clientId: string;
  from: string;
  text: string;
  ts: number;
  /** Sent from this pane. */
  own: boolean;
  /** For own messages: in the outbox, or acknowledged by the server. */
  delivery: Delivery | null;
}

/** A message this pane sent. */
export interface SentRecord {
  clientId: string;
  text: string;
  at: number;
  /** From the `ack`; null until then. */
  id: number | null;
  /** In the outbox (resent until acked), or sent once (the flood). */
  reliable: boolean;
}

/**
 * What a pane's message list shows: the messages received, in id order, then
 * its own messages still in the outbox. `me` names this pane's own lines.
 */
export function chatItems(received: readonly ChatMessage[], sent: ReadonlyMap<string, SentRecord>, me: string): ChatItem[] {
  const list: ChatItem[] = [];
  const shown = new Set<string>();
  for (const message of received) {
    const own = sent.get(message.clientId);
    shown.add(message.clientId);
    list.push({
      key: `m${message.id}`,
      id: message.id,
      clientId: message.clientId,
      from: message.from.name,
      text: message.text,
      ts: message.ts,
      own: own !== undefined,
      delivery: own ? (own.id !== null ? 'delivered' : 'sending') : null,
    });
  }
  // Acknowledged messages whose broadcast we missed (the socket dropped in between):
  // the ack is proof enough; placed by their id.
  const pending: ChatItem[] = [];
  for (const record of sent.values()) {
    if (shown.has(record.clientId)) continue;
    const item = { clientId: record.clientId, from: me, text: record.text, ts: record.at, own: true };
    if (record.id !== null) list.push({ ...item, key: `m${record.id}`, id: record.id, delivery: 'delivered' });
    else if (record.reliable) pending.push({ ...item, key: `c${record.clientId}`, id: null, delivery: 'sending' });
  }
  list.sort((x, y) => x.id! - y.id!);
  return [...list, ...pending];
}

/** `list` with the messages of `more` it lacks, in id order; `list` itself when nothing is new. */
export function mergeMessages(list: readonly ChatMessage[], more: readonly ChatMessage[]): readonly ChatMessage[] {
  const byId = new Map(list.map((message) => [message.id, message]));
  let changed = false;
  for (const message of more) {
    if (!byId.has(message.id)) {
      byId.set(message.id, message);
      changed = true;
    }
  }
  return changed ? [...byId.values()].sort((x, y) => x.id - y.id) : list;
}
