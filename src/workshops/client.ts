import { apiRoutes } from '../protocol/api-routes.ts';
import type {
  BroadcastReceipt,
  CreatedWorkshop,
  HostSnapshot,
  HostWorkshop,
  Membership,
  PublicWorkshop,
  WorkshopState,
} from '../protocol/workshops.ts';
import type { Heartbeat } from '../protocol/request-bodies.ts';
import { LAST_EVENT_ID_PARAM } from '../protocol/sse.ts';
import { companionServer, errorFrom, type ServerOptions } from '../widgets/shared/http.ts';

/**
 * The workshop API as the pages call it (src/protocol/workshops.ts): one
 * function per endpoint, no state. A refusal becomes an `ApiError` whose
 * message is the server's problem `detail` (shown to people as is).
 * The learner is the `rtw_learner` cookie and the host, after
 * {@link WorkshopClient.startHostSession}, the `rtw_host` cookie: fetch sends both.
 */
export interface WorkshopClient {
  create(title: string): Promise<CreatedWorkshop>;
  workshop(code: string): Promise<PublicWorkshop>;
  join(code: string, name: string): Promise<Membership>;
  me(code: string): Promise<Membership>;
  leave(code: string): Promise<void>;
  heartbeat(code: string, heartbeat: Heartbeat): Promise<void>;
  setDone(code: string, done: boolean): Promise<Membership>;
  /** Trades the secret for the host cookie, which EventSource and the CSV link then send by themselves. */
  startHostSession(code: string, secret: string): Promise<void>;
  snapshot(code: string): Promise<HostSnapshot>;
  goto(code: string, lesson: string): Promise<HostWorkshop>;
  broadcast(code: string, text: string): Promise<BroadcastReceipt>;
  setState(code: string, state: WorkshopState): Promise<HostWorkshop>;
  /** Absolute URL of the learner's stream, resuming after `lastEventId` when given. */
  learnerStreamUrl(code: string, lastEventId?: string): string;
  /** Absolute URL of the host's stream, resuming after `lastEventId` when given. */
  hostStreamUrl(code: string, lastEventId?: string): string;
}

export function createWorkshopClient(options: ServerOptions = {}): WorkshopClient {
  const server = companionServer(options);

  async function send(
    method: string,
    path: string,
    expected: number[],
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const response = await server.call(server.url(path), {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    if (!expected.includes(response.status)) throw await errorFrom(response);
    return response;
  }

  const json = async <T>(method: string, path: string, expected: number[], body?: unknown): Promise<T> =>
    (await (await send(method, path, expected, body)).json()) as T;

  const streamUrl = (path: string, lastEventId?: string): string => {
    const target = new URL(server.url(path));
    if (lastEventId) target.searchParams.set(LAST_EVENT_ID_PARAM, lastEventId);
    return target.href;
  };

  return {
    create: (title) => json('POST', apiRoutes.workshops.path(), [201], { title }),
    workshop: (code) => json('GET', apiRoutes.workshop.path({ code }), [200]),
    join: (code, name) => json('POST', apiRoutes.workshopMembers.path({ code }), [200, 201], { name }),
    me: (code) => json('GET', apiRoutes.workshopMe.path({ code }), [200]),
    leave: async (code) => void (await send('DELETE', apiRoutes.workshopMe.path({ code }), [200, 204])),
    heartbeat: async (code, heartbeat) => void (await send('POST', apiRoutes.workshopHeartbeat.path({ code }), [200, 204], heartbeat)),
    setDone: (code, done) => json('PUT', apiRoutes.workshopDone.path({ code }), [200], { done }),
    startHostSession: async (code, secret) =>
      void (await send('POST', apiRoutes.workshopHostSession.path({ code }), [200, 204], undefined, { authorization: `Bearer ${secret}` })),
    snapshot: (code) => json('GET', apiRoutes.workshopHost.path({ code }), [200]),
    goto: (code, lesson) => json('POST', apiRoutes.workshopGoto.path({ code }), [200], { lesson }),
    broadcast: (code, text) => json('POST', apiRoutes.workshopBroadcast.path({ code }), [200, 202], { text }),
    setState: (code, state) => json('PUT', apiRoutes.workshopState.path({ code }), [200], { state }),
    learnerStreamUrl: (code, lastEventId) => streamUrl(apiRoutes.workshopLearnerStream.path({ code }), lastEventId),
    hostStreamUrl: (code, lastEventId) => streamUrl(apiRoutes.workshopHostStream.path({ code }), lastEventId),
  };
}
