import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as z from 'zod/mini';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { resumeQuery } from '../../src/protocol/request-queries.ts';
import {
  JOIN_CODE_PATTERN,
  WORKSHOP_LIMITS,
  normalizeJoinCode,
  workshopPages,
  type BroadcastReceipt,
  type CreatedWorkshop,
  type HostSnapshot,
  type Membership,
} from '../../src/protocol/workshops.ts';
import {
  broadcastRequest,
  createWorkshopRequest,
  doneRequest,
  gotoRequest,
  heartbeatRequest,
  joinWorkshopRequest,
  workshopStateRequest,
} from '../../src/protocol/request-bodies.ts';
import type { ChannelAccess } from '../channels/channel-access.ts';
import { HttpProblem } from '../http/problem.ts';
import { readBody } from '../http/parse-body.ts';
import { readQuery } from '../http/query.ts';
import { requestOrigin } from '../http/request-origin.ts';
import type { RouteContext, RouteHandler, Router } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { learnerSetCookie, newLearnerId } from '../progress/learner-cookie.ts';
import { readLastEventId, streamEvents } from '../techniques/sse.ts';
import { hostSecretMatches, hostSetCookie, presentedHostSecret } from '../workshops/host-secret.ts';
import type { EventStreamSink, WorkshopHub } from '../workshops/workshop-hub.ts';
import type { MemberRecord, WorkshopRecord } from '../workshops/workshop-store.ts';
import { learnerFrom } from './progress.ts';

/**
 * The workshop endpoints (docs/api.md, "Workshops"). Each checks, in order:
 * the code (400 malformed, 404 unknown), who is asking (the learner cookie, or
 * the host secret: 401 none, 403 wrong), then the body — so a refused request
 * reads no body and changes nothing.
 */
export function registerWorkshopRoutes(router: Router, hub: WorkshopHub, access: Pick<ChannelAccess, 'claim'>): void {
  const kit = workshopRouteKit(hub);
  router
    .on(apiRoutes.workshops, 'POST', async ({ request, response }) => {
      const { title } = await readWorkshopBody(request, createWorkshopRequest);
      const { workshop, secret } = await hub.create(title);
      const created: CreatedWorkshop = {
        workshop: hub.hostView(workshop, requestOrigin(request)),
        secret,
        hostPath: workshopPages.host(workshop.code, secret),
      };
      sendJson(response, 201, created, { Location: apiRoutes.workshop.path({ code: workshop.code }) });
    })

    .on(apiRoutes.workshop, 'GET', async ({ response, params }) => {
      sendJson(response, 200, hub.publicView(await findWorkshop(hub, params.code)));
    });
  registerLearnerRoutes(router, hub, access, kit);
  registerHostRoutes(router, hub, kit);
}

/** What the learner and host routes share: who may call them, and the lessons they may name. */
interface WorkshopRouteKit {
  /** A learner route: the workshop and the caller's active membership. */
  asMember(handler: (context: RouteContext, workshop: WorkshopRecord, member: MemberRecord) => void | Promise<void>): RouteHandler;
  /** A host route: the workshop, once the secret is checked. */
  asHost(handler: (context: RouteContext, workshop: WorkshopRecord) => void | Promise<void>): RouteHandler;
  /** A lesson slug this workbook has, or 422 `unknown-lesson` naming `field`. */
  knownLesson(value: string, field: string): string;
}

function workshopRouteKit(hub: WorkshopHub): WorkshopRouteKit {
  const knownLessons = new Set(hub.knownLessons);
  return {
    asMember: (handler) => async (context) => {
      const workshop = await findWorkshop(hub, context.params.code);
      return handler(context, workshop, await requireMember(hub, workshop, context.request));
    },
    asHost: (handler) => async (context) => {
      const workshop = await findWorkshop(hub, context.params.code);
      requireHost(workshop, context.request);
      return handler(context, workshop);
    },
    knownLesson(value, field) {
      if (!knownLessons.has(value)) {
        // Well-formed, but not a lesson of this workbook: RFC 9110 §15.5.21, as for progress.
        throw new HttpProblem({
          status: 422,
          type: PROBLEM_TYPES.unknownLesson,
          detail: `This workbook has no lesson ${JSON.stringify(value.slice(0, 80))}; it has ${[...knownLessons].join(', ')}.`,
          extensions: { field, lessons: [value.slice(0, 80)] },
        });
      }
      return value;
    },
  };
}

/** A workshop body, checked against its schema (`src/protocol/request-bodies.ts`). */
function readWorkshopBody<Schema extends z.ZodMiniType>(request: IncomingMessage, schema: Schema) {
  return readBody(request, schema, { maxBytes: WORKSHOP_LIMITS.maxBodyBytes });
}

// #region learner
/** A learner's routes: join, their membership, heartbeats, done, and their stream. */
function registerLearnerRoutes(router: Router, hub: WorkshopHub, access: Pick<ChannelAccess, 'claim'>, kit: WorkshopRouteKit): void {
  router
    .on(apiRoutes.workshopMembers, 'POST', async ({ request, response, params }) => {
      const workshop = await findWorkshop(hub, params.code);
      const learner = learnerFrom(request);
      const { name } = await readWorkshopBody(request, joinWorkshopRequest);
      const learnerId = learner ?? newLearnerId();
      const { member, created } = await hub.join(workshop, learnerId, name);
      // A newcomer's identity is the progress API's cookie, so their progress reaches the host.
      const headers = learner === undefined ? { 'Set-Cookie': learnerSetCookie(learnerId, request) } : {};
      sendJson(response, created ? 201 : 200, hub.membership(workshop, member) satisfies Membership, headers);
    })

    .on(
      apiRoutes.workshopMe,
      'GET',
      kit.asMember(({ response }, workshop, member) => sendJson(response, 200, hub.membership(workshop, member))),
    )

    .on(
      apiRoutes.workshopMe,
      'DELETE',
      kit.asMember(async ({ response }, workshop, member) => {
        await hub.leave(workshop, member);
        response.writeHead(204).end();
      }),
    )

    .on(
      apiRoutes.workshopHeartbeat,
      'POST',
      kit.asMember(async ({ request, response }, workshop, member) => {
        const body = await readWorkshopBody(request, heartbeatRequest);
        const lesson = body.lesson === null ? null : kit.knownLesson(body.lesson, 'lesson');
        requireOwnChannels(access, member, body.channels);
        await hub.heartbeat(workshop, member, { lesson, channels: body.channels, streaming: body.streaming !== false });
        response.writeHead(204).end();
      }),
    )

    .on(
      apiRoutes.workshopDone,
      'PUT',
      kit.asMember(async ({ request, response }, workshop, member) => {
        const body = await readWorkshopBody(request, doneRequest);
        sendJson(response, 200, hub.membership(workshop, await hub.setDone(workshop, member, body.done)));
      }),
    )

    .on(
      apiRoutes.workshopLearnerStream,
      'GET',
      kit.asMember(({ request, response, url }, workshop, member) =>
        hub.openLearnerStream(
          workshop,
          member,
          eventStreamSink(request, response),
          readLastEventId(request, readQuery(url.searchParams, resumeQuery)),
        ),
      ),
    );
}
// #endregion learner

// #region host
/** The host's routes: each needs the workshop's secret. */
function registerHostRoutes(router: Router, hub: WorkshopHub, kit: WorkshopRouteKit): void {
  router
    .on(
      apiRoutes.workshopHostSession,
      'POST',
      kit.asHost(({ request, response }, workshop) => {
        const secret = presentedHostSecret(request)!;
        response.writeHead(204, { 'Set-Cookie': hostSetCookie(workshop.code, secret, request) }).end();
      }),
    )

    .on(
      apiRoutes.workshopHost,
      'GET',
      kit.asHost(async ({ request, response }, workshop) =>
        sendJson(response, 200, (await hub.snapshot(workshop, requestOrigin(request))) satisfies HostSnapshot),
      ),
    )

    .on(
      apiRoutes.workshopHostStream,
      'GET',
      kit.asHost(({ request, response, url }, workshop) =>
        hub.openHostStream(
          workshop,
          eventStreamSink(request, response),
          readLastEventId(request, readQuery(url.searchParams, resumeQuery)),
        ),
      ),
    )

    .on(
      apiRoutes.workshopGoto,
      'POST',
      kit.asHost(async ({ request, response }, workshop) => {
        const body = await readWorkshopBody(request, gotoRequest);
        sendJson(response, 200, await hub.goto(workshop, kit.knownLesson(body.lesson, 'lesson'), requestOrigin(request)));
      }),
    )

    .on(
      apiRoutes.workshopBroadcast,
      'POST',
      kit.asHost(async ({ request, response }, workshop) => {
        const { text } = await readWorkshopBody(request, broadcastRequest);
        const receipt: BroadcastReceipt = await hub.broadcast(workshop, text);
        sendJson(response, 202, receipt);
      }),
    )

    .on(
      apiRoutes.workshopState,
      'PUT',
      kit.asHost(async ({ request, response }, workshop) => {
        const { state } = await readWorkshopBody(request, workshopStateRequest);
        sendJson(response, 200, await hub.setState(workshop, state, requestOrigin(request)));
      }),
    )

    .on(
      apiRoutes.workshopResults,
      'GET',
      kit.asHost(async ({ response }, workshop) => {
        const csv = await hub.resultsCsv(workshop);
        response.writeHead(200, {
          'Content-Type': 'text/csv; charset=utf-8',
          // RFC 6266: a download, named after the workshop.
          'Content-Disposition': `attachment; filename="workshop-${workshop.code}-results.csv"`,
          'Content-Length': Buffer.byteLength(csv),
          'Cache-Control': 'no-store',
        });
        response.end(csv);
      }),
    );
}
// #endregion host

/**
 * The workshop named by the URL's code (normalized: "k7q-x2m" works).
 * @throws {HttpProblem} 400 `invalid-join-code`, 404 `unknown-workshop`.
 */
async function findWorkshop(hub: WorkshopHub, typed: string | undefined): Promise<WorkshopRecord> {
  const code = normalizeJoinCode(typed ?? '');
  const shown = JSON.stringify((typed ?? '').slice(0, 40));
  if (!JOIN_CODE_PATTERN.test(code)) {
    throw new HttpProblem({
      status: 400,
      type: PROBLEM_TYPES.invalidJoinCode,
      detail: `${shown} is not a join code: a join code is 6 letters and digits, without 0, O, 1, I or L.`,
    });
  }
  const workshop = await hub.find(code);
  if (!workshop) {
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.unknownWorkshop,
      detail: `No workshop has the code ${code}; check it with the host.`,
    });
  }
  return workshop;
}

/**
 * The caller's membership, from the `rtw_learner` cookie.
 * @throws {HttpProblem} 400 `invalid-learner` (malformed cookie), 404 `not-a-member` (never joined, or left).
 */
async function requireMember(hub: WorkshopHub, workshop: WorkshopRecord, request: IncomingMessage): Promise<MemberRecord> {
  const learner = learnerFrom(request);
  const member = learner === undefined ? undefined : await hub.memberOf(workshop, learner);
  if (!member || member.leftAt !== null) {
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.notAMember,
      detail: `You are not a member of the workshop ${workshop.code}; join it first (POST ${apiRoutes.workshopMembers.path({ code: workshop.code })}).`,
    });
  }
  return member;
}

/**
 * Checks the host secret (`Authorization: Bearer …` or the `rtw_host` cookie).
 * @throws {HttpProblem} 401 `host-secret-required` (with `WWW-Authenticate`, RFC 9110 §11.6.1), 403 `host-secret-wrong`.
 */
function requireHost(workshop: WorkshopRecord, request: IncomingMessage): void {
  const secret = presentedHostSecret(request);
  if (secret === undefined) {
    throw new HttpProblem({
      status: 401,
      type: PROBLEM_TYPES.hostSecretRequired,
      detail: `Host endpoints need the workshop's secret: "Authorization: Bearer <secret>", or the cookie POST ${apiRoutes.workshopHostSession.path({ code: workshop.code })} sets.`,
      headers: { 'WWW-Authenticate': 'Bearer realm="workshop"' },
    });
  }
  if (!hostSecretMatches(secret, workshop.hostSecretHash)) {
    throw new HttpProblem({
      status: 403,
      type: PROBLEM_TYPES.hostSecretWrong,
      detail: `This is not the secret of the workshop ${workshop.code}; open the host link you got when you created it.`,
    });
  }
}

/**
 * A member registers only their own demo channels for the host's broadcasts:
 * those their learner cookie owns, or nobody did yet (they are claimed now).
 * @throws {HttpProblem} 403 `channel-not-yours`, naming the first other reader's channel.
 */
function requireOwnChannels(access: Pick<ChannelAccess, 'claim'>, member: MemberRecord, channels: readonly string[]): void {
  for (const [index, channel] of channels.entries()) {
    if (access.claim(channel, member.learnerId)) continue;
    throw new HttpProblem({
      status: 403,
      type: PROBLEM_TYPES.channelNotYours,
      detail: `The channel ${channel} belongs to another reader: a page registers only its own demo channels for broadcasts.`,
      extensions: { field: `channels/${index}`, channel },
    });
  }
}

/** A workshop stream written to this response (server/techniques/sse.ts), closing with it. */
function eventStreamSink(request: IncomingMessage, response: ServerResponse): EventStreamSink {
  return {
    open: (options) => streamEvents({ request, response }, options),
    onClose: (listener) => response.once('close', listener),
  };
}
