import type { ChannelEvent } from '../../protocol/events.ts';
import { broadcastLine, demoBroadcastOf } from '../shared/workshop-broadcast.ts';
import type { FeedItem } from './records.ts';

/** The feed's items, and the notifications the widget sends. */

/** An event's key in the feed, unique across server restarts. */
export function keyOf(epoch: number, id: number): string {
  return `${epoch}:${id}`;
}

/** One event as the feed shows it. */
export function toFeedItem(event: ChannelEvent, epoch: number, receivedAt: number, requestSeq: number, recovered: boolean): FeedItem {
  const broadcast = demoBroadcastOf(event.type, event.data);
  const data = event.data as { text?: unknown } | null;
  const text = broadcast
    ? broadcastLine(broadcast)
    : data && typeof data === 'object' && typeof data.text === 'string'
      ? data.text
      : JSON.stringify(event.data ?? null);
  return {
    key: keyOf(epoch, event.id),
    id: event.id,
    epoch,
    type: event.type,
    text,
    broadcast: broadcast !== null,
    ts: event.ts,
    receivedAt,
    requestSeq,
    recovered,
  };
}

const SAMPLES = [
  'Ada commented on your draft',
  'Build passed on main',
  'Grace shared a file with you',
  'Your order has shipped',
  'Linus mentioned you',
  'Deploy finished in 42 s',
  'New sign-in from Firefox',
  'Margaret liked your post',
] as const;

/** `#3 Build passed on main`: numbered, so the reader can follow each one. */
export function notificationText(seq: number): string {
  return `#${seq} ${SAMPLES[(seq - 1) % SAMPLES.length]}`;
}
