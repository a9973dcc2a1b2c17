import { EVENT_TYPE_PATTERN, type PublishResponse } from '../../src/protocol/events.ts';
import { isNoteEventData, JOB_LIMITS, NOTE_EVENT_TYPE } from '../../src/protocol/jobs.ts';
import { type EventBus } from '../events/event-bus.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { type RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertJsonObject, assertValidChannel, invalidBody } from '../http/validate.ts';

/**
 * `POST /api/channels/{channel}/events` with `{type, data}`: appends an event
 * to the channel's log and delivers it to every subscriber → `201 {id, ts}`.
 * `data` may be any JSON value (default `null`); a `note` event must carry
 * `{text}` because unfinished jobs of the channel take it as their note.
 */
export function publishEventRoute(bus: EventBus): RouteHandler {
  return async ({ request, response, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    const body = await readJsonBody(request);
    assertJsonObject(body, ['type', 'data']);

    const { type, data = null } = body;
    if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
      throw invalidBody(
        `type is ${JSON.stringify(type) ?? 'missing'}; it must be 1–64 characters of A–Z a–z 0–9 . _ -.`,
        'type',
      );
    }
    if (type === NOTE_EVENT_TYPE && !isNoteEventData(data)) {
      throw invalidBody(
        `A "note" event needs data {"text": string} of at most ${JOB_LIMITS.maxNoteLength} characters.`,
        'data',
      );
    }

    const event = await bus.publish(channel, type, data);
    const answer: PublishResponse = { id: event.id, ts: event.ts };
    sendJson(response, 201, answer);
  };
}
