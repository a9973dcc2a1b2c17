import type { PublishResponse } from '../../src/protocol/events.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { publishRequest } from '../../src/protocol/request-bodies.ts';
import { isReservedEventType } from '../../src/protocol/reserved-event-types.ts';
import type { EventBus } from '../events/event-bus.ts';
import { HttpProblem } from '../http/problem.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';

/**
 * `POST /api/channels/{channel}/events` with `{type, data}`: appends an event
 * to the channel's log and delivers it to every subscriber → `201 {id, ts}`.
 * `data` may be any JSON value (default `null`); a `note` event must carry
 * `{text}` because unfinished jobs of the channel take it as their note.
 * Types in `RESERVED_EVENT_TYPES` are the server's own: 403.
 */
export function publishEventRoute(bus: EventBus): RouteHandler {
  return async ({ request, response, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    const { type, data = null } = await readBody(request, publishRequest);
    if (isReservedEventType(type)) {
      // RFC 9110 §15.5.4: understood, and refused whoever asks; only the server publishes these.
      throw new HttpProblem({
        status: 403,
        type: PROBLEM_TYPES.reservedEventType,
        detail: `Only the server publishes "${type}" events (a workshop's broadcast, a job, a build, an experiment's result); pick another type, e.g. "note".`,
        extensions: { field: 'type', eventType: type },
      });
    }
    const event = await bus.publish(channel, type, data);
    const answer: PublishResponse = { id: event.id, ts: event.ts };
    sendJson(response, 201, answer);
  };
}
