import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { JOIN_CODE_COSTS, type RateLimitName } from '../../src/protocol/rate-limits.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteContext, RouteHandler } from '../http/router.ts';
import { readLearnerCookie } from '../progress/learner-cookie.ts';
import { isInternalRequest } from './internal-requests.ts';
import type { RequestLimits } from './request-limits.ts';

/** Runs before a route's handler (and around it); throws to refuse. */
type Guard = (limits: RequestLimits, context: RouteContext, next: () => Promise<void>) => Promise<void>;

/** Holds a stream slot while the response is open: SSE streams, held long polls, relayed streams. */
const stream: Guard = (limits, context, next) => {
  // Not async: a guard that only checks first costs no promise of its own on every poll.
  limits.holdStream(context.request, context.response);
  return next();
};

/** One token of `name` per request. */
const rate =
  (name: RateLimitName): Guard =>
  (limits, context, next) => {
    limits.spend(name, context.request);
    return next();
  };

/**
 * A request naming a join code: refused while the address is in debt, and
 * charged by the outcome — `found` when the code names a workshop,
 * {@link JOIN_CODE_COSTS.unknown} when it names none (so guessing is slow and
 * a class's successful joins are cheap).
 */
const codeLookup =
  (found: number): Guard =>
  async (limits, context, next) => {
    limits.check('codeLookups', context.request);
    await chargedByOutcome(limits, context, next, found);
  };

/** Problems a request gets when it names a code it has no business with: in debt, all of them read as 429. */
const OUTSIDER_PROBLEMS: ReadonlySet<string> = new Set([
  PROBLEM_TYPES.unknownWorkshop,
  PROBLEM_TYPES.invalidJoinCode,
  PROBLEM_TYPES.invalidLearner,
  PROBLEM_TYPES.notAMember,
  PROBLEM_TYPES.hostSecretRequired,
  PROBLEM_TYPES.hostSecretWrong,
]);

/**
 * A member's or the host's request (heartbeat, stream, dashboard…): free, and
 * never refused for the address's debt when it comes from a member or the
 * host, so a guesser on a classroom's network cannot cut the class off. In
 * debt, every other outcome (unknown code, not a member, no secret) is the
 * same 429, so these routes tell a guesser nothing about which codes exist.
 */
const memberLookup: Guard = async (limits, context, next) => {
  const refusal = limits.refusal('codeLookups', context.request);
  try {
    await chargedByOutcome(limits, context, next, JOIN_CODE_COSTS.member);
  } catch (error) {
    if (refusal && error instanceof HttpProblem && OUTSIDER_PROBLEMS.has(error.init.type ?? '')) throw refusal;
    throw error;
  }
};

async function chargedByOutcome(limits: RequestLimits, context: RouteContext, next: () => Promise<void>, found: number): Promise<void> {
  try {
    await next();
  } catch (error) {
    const unknown = error instanceof HttpProblem && error.init.type === PROBLEM_TYPES.unknownWorkshop;
    limits.take('codeLookups', context.request, unknown ? JOIN_CODE_COSTS.unknown : found);
    throw error;
  }
  limits.take('codeLookups', context.request, found);
}

/**
 * A progress save that creates a learner's row: without a learner cookie, or
 * with one the store does not know (a made-up id makes a row too).
 */
const newLearner =
  (isKnown: (learnerId: string) => Promise<boolean>): Guard =>
  async (limits, context, next) => {
    const cookie = readLearnerCookie(context.request);
    const creates = cookie.kind === 'absent' || (cookie.kind === 'valid' && !(await isKnown(cookie.id)));
    if (creates) limits.spend('newLearners', context.request);
    await next();
  };

/** What {@link createRouteLimits} needs besides the limits. */
export interface RouteLimitsOptions {
  /** Whether the progress store has this learner (a save for an unknown one creates a row). */
  isKnownLearner: (learnerId: string) => Promise<boolean>;
}

/**
 * Which limits guard which route of the table (`src/protocol/api-routes.ts`),
 * by `METHOD /pattern`: the one place that says it (docs/api.md, "Connection caps and rate limits").
 */
function guardsFor(route: string, options: RouteLimitsOptions): Guard[] {
  switch (route) {
    case `GET ${apiRoutes.sse.pattern}`:
    case `GET ${apiRoutes.longPoll.pattern}`:
    case `GET ${apiRoutes.idleHop.pattern}`:
    case `GET ${apiRoutes.stormConnect.pattern}`:
    case `GET ${apiRoutes.scalingStream.pattern}`:
    case `GET ${apiRoutes.scalingStickyStream.pattern}`:
    case `GET ${apiRoutes.exerciseRunInstanceStream.pattern}`:
      return [stream];
    case `POST ${apiRoutes.channelEvents.pattern}`:
    case `POST ${apiRoutes.scalingPublish.pattern}`:
      return [rate('publishes')];
    case `POST ${apiRoutes.jobs.pattern}`:
    case `POST ${apiRoutes.builds.pattern}`:
    case `POST ${apiRoutes.labs.pattern}`:
    case `POST ${apiRoutes.labRun.pattern}`:
    case `POST ${apiRoutes.storms.pattern}`:
    case `POST ${apiRoutes.slowConsumers.pattern}`:
    case `POST ${apiRoutes.drains.pattern}`:
    case `POST ${apiRoutes.scalingDemo.pattern}`:
    case `POST ${apiRoutes.exerciseRuns.pattern}`:
      return [rate('experiments')];
    case `PUT ${apiRoutes.progress.pattern}`:
      return [newLearner(options.isKnownLearner), rate('progressWrites')];
    case `DELETE ${apiRoutes.progress.pattern}`:
    case `PUT ${apiRoutes.exerciseCode.pattern}`:
      return [rate('progressWrites')];
    case `POST ${apiRoutes.workshops.pattern}`:
      return [rate('workshopCreates')];
    case `GET ${apiRoutes.workshop.pattern}`:
      return [codeLookup(JOIN_CODE_COSTS.found)];
    case `POST ${apiRoutes.workshopMembers.pattern}`:
      // Joining makes a member row, not a progress row: the code lookups and the workshop's member cap bound it.
      return [codeLookup(JOIN_CODE_COSTS.found)];
    case `GET ${apiRoutes.workshopLearnerStream.pattern}`:
    case `GET ${apiRoutes.workshopHostStream.pattern}`:
      return [memberLookup, stream];
  }
  if (route.includes(` ${apiRoutes.workshop.pattern}/`)) return [memberLookup];
  return [];
}

/** Runs a matched route's handler behind its limits. */
export type LimitedRoute = (method: string, pattern: string, context: RouteContext, handler: RouteHandler) => Promise<void>;

/** The guards of every route, worked out once per route. */
export function createRouteLimits(limits: RequestLimits, options: RouteLimitsOptions): LimitedRoute {
  const cache = new Map<string, Guard[]>();
  return async (method, pattern, context, handler) => {
    // HEAD is answered by the GET handler: it is guarded like a GET.
    const route = `${method === 'HEAD' ? 'GET' : method} ${pattern}`;
    let guards = cache.get(route);
    if (!guards) {
      guards = guardsFor(route, options);
      cache.set(route, guards);
    }
    if (guards.length === 0 || isInternalRequest(context.request)) return handler(context);
    const run = (index: number): Promise<void> =>
      index === guards.length ? Promise.resolve(handler(context)) : guards[index]!(limits, context, () => run(index + 1));
    return run(0);
  };
}
