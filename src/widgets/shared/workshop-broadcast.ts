import { BROADCAST_EVENT_TYPE, type DemoBroadcast } from '../../protocol/workshops.ts';

/**
 * How the live demos call out a workshop broadcast: an event of type
 * {@link BROADCAST_EVENT_TYPE} that the server publishes on a demo's own
 * channel when the host sends a text (src/protocol/workshops.ts). Pure, so
 * the widgets' models and node:test share it.
 */

/** The broadcast an event carries, or null when it is not one (another type, or data of the wrong shape). */
export function demoBroadcastOf(type: string, data: unknown): DemoBroadcast | null {
  if (type !== BROADCAST_EVENT_TYPE) return null;
  let value = data;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown; // EventSource hands over `data` as text.
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const { workshop, text } = value as Partial<Record<keyof DemoBroadcast, unknown>>;
  if (typeof workshop !== 'string' || typeof text !== 'string') return null;
  return { workshop, text };
}

/** `From Friday class: Look at the wire view now` — one line, as a demo's log shows it. */
export function broadcastLine(broadcast: DemoBroadcast): string {
  return `From ${broadcast.workshop}: ${broadcast.text}`;
}
