import type { FaultResponse } from '../../src/protocol/faults.ts';
import { faultRequest } from '../../src/protocol/request-bodies.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { ChannelFaults } from '../faults/channel-faults.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';

/**
 * `POST /api/channels/{channel}/faults` with a `FaultRequest`: breaks
 * something on purpose, on this channel only → `202 {type, affected}`.
 * 202 Accepted: most faults are armed now and act on later requests.
 * With Redis, it acts on the channel on every instance. Only the channel's
 * owner may (docs/security.md, "Channel ownership").
 */
export function injectFaultRoute(faults: Pick<ChannelFaults, 'inject'>, access: ChannelGuard): RouteHandler {
  return async ({ request, response, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    // Before the body: a refused request reads nothing and arms nothing.
    access.requireOwner(channel, request, 'arm a fault on');
    const fault = await readBody(request, faultRequest);
    const answer: FaultResponse = { type: fault.type, affected: await faults.inject(channel, fault) };
    sendJson(response, 202, answer);
  };
}
