import { type FaultRequest, type FaultResponse } from '../../src/protocol/faults.ts';
import { type FaultRegistry } from '../faults/fault-registry.ts';
import { parseFaultRequest } from '../faults/parse-fault-request.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import { type RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';
import { type SseStreamRegistry } from '../techniques/sse-streams.ts';

/**
 * `POST /api/channels/{channel}/faults` with a `FaultRequest`: breaks
 * something on purpose, on this channel only → `202 {type, affected}`.
 * 202 Accepted: most faults are armed now and act on later requests.
 */
export function injectFaultRoute(faults: FaultRegistry, streams: SseStreamRegistry): RouteHandler {
  return async ({ request, response, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    const fault = parseFaultRequest(await readJsonBody(request));
    const answer: FaultResponse = { type: fault.type, affected: applyFault(channel, fault, faults, streams) };
    sendJson(response, 202, answer);
  };
}

/** Arms `fault` and acts on the channel's open streams; returns how many streams it touched at once. */
export function applyFault(
  channel: string,
  fault: FaultRequest,
  faults: FaultRegistry,
  streams: SseStreamRegistry,
): number {
  faults.arm(channel, fault);
  const open = streams.on(channel);
  switch (fault.type) {
    case 'kill-streams':
      open.forEach((stream) => stream.kill());
      return open.length;
    case 'restart-streams':
      open.forEach((stream) => stream.end());
      return open.length;
    case 'retry':
      // A `retry:` field alone changes the reconnection delay and dispatches nothing (WHATWG HTML §9.2.6).
      open.forEach((stream) => stream.write(`retry: ${fault.retryMs}\n\n`));
      return open.length;
    case 'heartbeats':
      // Each heartbeat asks the registry, so the open streams follow at their next tick.
      return open.length;
    default:
      // Long-polling faults act on later requests.
      return 0;
  }
}
