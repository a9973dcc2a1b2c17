import assert from 'node:assert/strict';
import type { PublishResponse } from '../../../src/protocol/events.ts';
import type { FaultRequest, FaultResponse } from '../../../src/protocol/faults.ts';
import { apiRoutes } from '../../../src/protocol/api-routes.ts';
import { postJson } from './post-json.ts';

/** Publishes `{type, data}` on `channel` of the server at `baseUrl`; the 201 is asserted. */
export async function publishEvent(baseUrl: string, channel: string, type: string, data: unknown = null): Promise<PublishResponse> {
  const response = await fetch(`${baseUrl}${apiRoutes.channelEvents.path({ channel })}`, postJson({ type, data }));
  assert.equal(response.status, 201);
  return (await response.json()) as PublishResponse;
}

/** Arms `fault` on `channel` of the server at `baseUrl`; the 202 is asserted. */
export async function injectFault(baseUrl: string, channel: string, fault: FaultRequest): Promise<FaultResponse> {
  const response = await fetch(`${baseUrl}${apiRoutes.channelFaults.path({ channel })}`, postJson(fault));
  assert.equal(response.status, 202);
  return (await response.json()) as FaultResponse;
}
