import assert from 'node:assert/strict';
import { LEARNER_COOKIE } from '../../../src/protocol/progress.ts';
import { apiRoutes } from '../../../src/protocol/api-routes.ts';
import type { CreatedWorkshop, HostSnapshot, Membership } from '../../../src/protocol/workshops.ts';
import { learnerIdFrom } from './learner-cookie.ts';

/** JSON request options for `fetch`, with extra headers (a cookie, a bearer secret). */
export function jsonRequest(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** `Authorization: Bearer <secret>`. */
export const bearer = (secret: string): Record<string, string> => ({ Authorization: `Bearer ${secret}` });

/** The `Cookie` header of a learner. */
export const asLearner = (learnerId: string): Record<string, string> => ({ Cookie: `${LEARNER_COOKIE}=${learnerId}` });

/** Calls on one running server, as the pages would. */
export function workshopClient(baseUrl: string) {
  const url = (path: string) => `${baseUrl}${path}`;
  return {
    url,
    async create(title = 'Realtime 101'): Promise<CreatedWorkshop> {
      const response = await fetch(url(apiRoutes.workshops.path()), jsonRequest('POST', { title }));
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as CreatedWorkshop;
    },
    /** Joins as a new learner (or as `learnerId`); returns the learner id and the membership. */
    async join(code: string, name: string, learnerId?: string): Promise<{ learnerId: string; membership: Membership }> {
      const response = await fetch(
        url(apiRoutes.workshopMembers.path({ code })),
        jsonRequest('POST', { name }, learnerId ? asLearner(learnerId) : {}),
      );
      assert.ok(response.status === 201 || response.status === 200, await response.clone().text());
      const id = learnerId ?? learnerIdFrom(response);
      assert.ok(id, 'joining sets the learner cookie');
      return { learnerId: id, membership: (await response.json()) as Membership };
    },
    async heartbeat(code: string, learnerId: string, lesson: string | null, channels: string[] = []): Promise<void> {
      const response = await fetch(
        url(apiRoutes.workshopHeartbeat.path({ code })),
        jsonRequest('POST', { lesson, channels }, asLearner(learnerId)),
      );
      assert.equal(response.status, 204, await response.clone().text());
    },
    async snapshot(code: string, secret: string): Promise<HostSnapshot> {
      const response = await fetch(url(apiRoutes.workshopHost.path({ code })), { headers: bearer(secret) });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as HostSnapshot;
    },
    /** A host call with a JSON body. */
    host(method: string, path: string, secret: string, body: unknown): Promise<Response> {
      return fetch(url(path), jsonRequest(method, body, bearer(secret)));
    },
  };
}
