/**
 * The contract of every route of the table (`api-routes.ts`), by name and
 * method: the JSON body it takes (`request-bodies.ts`), its query
 * (`request-queries.ts`) and what it answers, by status (`response-schemas.ts`).
 * Typed by the table, so a route or a method missing here fails to compile.
 * With `RTW_CHECK_RESPONSES=1` (the tests) the server checks every JSON
 * answer against it (`server/http/response-contract.ts`).
 *
 * Server and test side only: it loads zod, which pages must not download.
 * Problems (`application/problem+json`, 4xx and 5xx) are the same for every
 * route (`problem.ts`) and not listed.
 */
import * as z from 'zod/mini';
import { type ApiMethod, apiRoutes } from './api-routes.ts';
import {
  broadcastRequest,
  createWorkshopRequest,
  doneRequest,
  faultRequest,
  gotoRequest,
  heartbeatRequest,
  joinWorkshopRequest,
  publishRequest,
  runLabRequest,
  saveCodeRequest,
  startBuildRequest,
  startDrainRequest,
  startJobRequest,
  startScalingDemoRequest,
  startSlowConsumerRequest,
  startStormRequest,
  workshopStateRequest,
} from './request-bodies.ts';
import { longPollQuery, resumeQuery, sseQuery } from './request-queries.ts';
import {
  broadcastRecord,
  channelLatestResponse,
  createdWorkshop,
  createLabResponse,
  dropConnectionsResponse,
  exerciseRun,
  exerciseVerdict,
  savedCode,
  faultResponse,
  hostSnapshot,
  hostWorkshop,
  jobResponse,
  labRun,
  labStats,
  livenessResponse,
  longPollResponse,
  membership,
  progressDocument,
  progressResponse,
  publicWorkshop,
  publishResponse,
  readinessResponse,
  scalingAvailability,
  scalingDemoState,
  startBuildResponse,
  startDrainResponse,
  startJobResponse,
  startSlowConsumerResponse,
  startStormResponse,
} from './response-schemas.ts';

/** An answer that is not JSON (a stream, a CSV, no body at all), and what it is instead. */
export interface NotJson {
  readonly notJson: string;
}

/** One method of one route. */
export interface Exchange {
  /** The JSON body it reads; null when it reads none. */
  readonly body: z.ZodMiniType | null;
  /** The query parameters it reads; null when it reads none. */
  readonly query: z.ZodMiniObject | null;
  /** Every status it answers with other than a problem: the JSON it sends, or why it sends none. */
  readonly responses: Readonly<Record<number, z.ZodMiniType | NotJson>>;
}

type RouteName = keyof typeof apiRoutes;
type MethodOf<Name extends RouteName> = (typeof apiRoutes)[Name]['methods'][number];

/** Every route of the table, every method it answers. */
export type ApiSchemas = { readonly [Name in RouteName]: { readonly [Method in MethodOf<Name>]: Exchange } };

const eventStream: NotJson = { notJson: 'text/event-stream: the events, read by EventSource' };
const noContent: NotJson = { notJson: 'no body' };
const notModified: NotJson = { notJson: '304: headers only, the client keeps its copy' };

/** A route that reads no body and no query. */
function answers(responses: Exchange['responses']): Exchange {
  return { body: null, query: null, responses };
}

export const apiSchemas = {
  health: { GET: answers({ 200: livenessResponse }) },
  ready: { GET: answers({ 200: readinessResponse, 503: readinessResponse }) },

  channelEvents: { POST: { body: publishRequest, query: null, responses: { 201: publishResponse } } },
  channelLatest: { GET: answers({ 200: channelLatestResponse, 304: notModified }) },
  channelFaults: { POST: { body: faultRequest, query: null, responses: { 202: faultResponse } } },

  /** The body is optional: none starts a job with the defaults. */
  jobs: { POST: { body: startJobRequest, query: null, responses: { 201: startJobResponse } } },
  job: { GET: answers({ 200: jobResponse, 304: notModified }) },
  longPoll: {
    GET: { body: null, query: longPollQuery, responses: { 200: longPollResponse, 204: { notJson: '204: no event before the timeout' } } },
  },
  sse: { GET: { body: null, query: sseQuery, responses: { 200: eventStream } } },
  builds: { POST: { body: startBuildRequest, query: null, responses: { 201: startBuildResponse } } },

  exerciseRuns: { POST: answers({ 201: exerciseRun }) },
  exerciseRun: { GET: answers({ 200: exerciseVerdict }) },
  exerciseRunFinish: { POST: answers({ 200: exerciseVerdict }) },
  exerciseCode: { GET: answers({ 200: savedCode }), PUT: { body: saveCodeRequest, query: null, responses: { 200: savedCode } } },
  exerciseRunInstanceStream: { GET: { body: null, query: sseQuery, responses: { 200: eventStream } } },
  exerciseRunSocket: { GET: answers({ 101: { notJson: '101 Switching Protocols: the run’s WebSocket (a plain GET is a 426 problem)' } }) },
  exerciseSandbox: { GET: answers({ 200: { notJson: 'text/html: the sandbox frame that runs a learner’s code, with its own policy' } }) },

  progress: {
    GET: answers({ 200: progressResponse }),
    PUT: { body: progressDocument, query: null, responses: { 200: progressResponse } },
    DELETE: answers({ 200: progressResponse }),
  },

  labs: { POST: answers({ 201: createLabResponse }) },
  labRun: { POST: { body: runLabRequest, query: null, responses: { 202: labRun } } },
  /** null when the lab never ran. */
  labStop: { POST: answers({ 200: z.nullable(labRun) }) },
  labStats: { GET: answers({ 200: labStats }) },
  labDropConnections: { POST: answers({ 202: dropConnectionsResponse }) },

  storms: { POST: { body: startStormRequest, query: null, responses: { 202: startStormResponse } } },
  stormConnect: { GET: answers({ 200: { notJson: 'text/plain, held open with no body until the storm restarts' } }) },
  idleHop: { GET: { body: null, query: sseQuery, responses: { 200: eventStream } } },
  slowConsumers: { POST: { body: startSlowConsumerRequest, query: null, responses: { 202: startSlowConsumerResponse } } },
  drains: { POST: { body: startDrainRequest, query: null, responses: { 202: startDrainResponse } } },
  experiment: { DELETE: answers({ 204: noContent }) },

  scaling: { GET: answers({ 200: scalingAvailability }) },
  scalingDemo: {
    POST: { body: startScalingDemoRequest, query: null, responses: { 201: scalingDemoState } },
    GET: answers({ 200: scalingDemoState }),
    DELETE: answers({ 204: noContent }),
  },
  scalingAction: { POST: answers({ 200: scalingDemoState }) },
  /** Forwarded to the instance, whose answer passes unchanged. */
  scalingPublish: { POST: { body: publishRequest, query: null, responses: { 201: publishResponse } } },
  scalingStream: { GET: { body: null, query: sseQuery, responses: { 200: eventStream } } },
  scalingStickyStream: { GET: { body: null, query: sseQuery, responses: { 200: eventStream } } },

  workshops: { POST: { body: createWorkshopRequest, query: null, responses: { 201: createdWorkshop } } },
  workshop: { GET: answers({ 200: publicWorkshop }) },
  /** 201 for a new member, 200 for one rejoining or renamed. */
  workshopMembers: { POST: { body: joinWorkshopRequest, query: null, responses: { 200: membership, 201: membership } } },
  workshopMe: { GET: answers({ 200: membership }), DELETE: answers({ 204: noContent }) },
  workshopHeartbeat: { POST: { body: heartbeatRequest, query: null, responses: { 204: noContent } } },
  workshopDone: { PUT: { body: doneRequest, query: null, responses: { 200: membership } } },
  workshopLearnerStream: { GET: { body: null, query: resumeQuery, responses: { 200: eventStream } } },
  workshopHostSession: { POST: answers({ 204: { notJson: 'no body: the rtw_host cookie' } }) },
  workshopHost: { GET: answers({ 200: hostSnapshot }) },
  workshopHostStream: { GET: { body: null, query: resumeQuery, responses: { 200: eventStream } } },
  workshopGoto: { POST: { body: gotoRequest, query: null, responses: { 200: hostWorkshop } } },
  workshopBroadcast: { POST: { body: broadcastRequest, query: null, responses: { 202: broadcastRecord } } },
  workshopState: { PUT: { body: workshopStateRequest, query: null, responses: { 200: hostWorkshop } } },
  workshopResults: { GET: answers({ 200: { notJson: 'text/csv attachment, one row per member' } }) },
} satisfies ApiSchemas;

/** True for a schema; false for a {@link NotJson} answer. */
export function isJsonAnswer(answer: z.ZodMiniType | NotJson): answer is z.ZodMiniType {
  return !('notJson' in answer);
}

/**
 * The exchange of `method` on the route whose pattern is `pattern` (as the
 * router matched it), or undefined when the table has no such route; HEAD is
 * GET's (Node sends no body).
 */
export function exchangeOf(pattern: string, method: string): Exchange | undefined {
  const wanted = (method === 'HEAD' ? 'GET' : method) as ApiMethod;
  const name = (Object.keys(apiRoutes) as RouteName[]).find((candidate) => apiRoutes[candidate].pattern === pattern);
  if (name === undefined) return undefined;
  return (apiSchemas[name] as Partial<Record<ApiMethod, Exchange>>)[wanted];
}
