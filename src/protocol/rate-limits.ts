/**
 * Connection caps and rate limits of the companion server, defined once:
 * the server enforces them (`server/limits/`), pages can show them, and
 * docs/api.md and docs/security.md explain them ("Connection caps and rate
 * limits"). Beyond one: `429` problem+json with `Retry-After` (RFC 6585 §4),
 * or a refused WebSocket upgrade (also `429`).
 */

/** A token bucket: `burst` requests at once, then `refillPerSecond` on average. */
export interface BucketSpec {
  burst: number;
  refillPerSecond: number;
}

/** One kind of request, limited per client address and, when the request has a learner cookie, per learner too. */
export interface RateLimit {
  perAddress: BucketSpec;
  perLearner?: BucketSpec;
}

/**
 * The rate limits, in tokens. A request costs 1 token unless said otherwise.
 * The per-address figures are sized for a class of 200 behind one NAT (one
 * address for everyone); the per-learner ones for one busy reader.
 */
export const RATE_LIMITS = {
  /** `POST /api/workshops`: an instructor makes one or two; 20 at once, then one every 3 minutes. */
  workshopCreates: { perAddress: { burst: 20, refillPerSecond: 1 / 180 } },
  /**
   * Requests naming a join code (`/api/workshops/{code}…`). The preview and the
   * join cost {@link JOIN_CODE_COSTS.found} each (2 per learner: a class of 200
   * spends 400 of the 1,200); a code that names no workshop costs
   * {@link JOIN_CODE_COSTS.unknown}: 24 typos at once, then one guess every 5 s.
   */
  codeLookups: { perAddress: { burst: 1_200, refillPerSecond: 10 } },
  /** Progress saves that create a learner's row (no cookie, or one the server does not know): a class is 200. */
  newLearners: { perAddress: { burst: 300, refillPerSecond: 0.5 } },
  /** `PUT` and `DELETE /api/progress` (the browser sends one a second at most while a reader works). */
  progressWrites: { perAddress: { burst: 1_200, refillPerSecond: 20 }, perLearner: { burst: 60, refillPerSecond: 1 } },
  /** `POST /api/channels/{channel}/events` and lesson 8's publish through an instance: a click each. */
  publishes: { perAddress: { burst: 1_000, refillPerSecond: 50 }, perLearner: { burst: 60, refillPerSecond: 2 } },
  /** Starting a lab (lesson 6), a run of it, lesson 7's experiments and lesson 8's two-instance demo. */
  experiments: { perAddress: { burst: 400, refillPerSecond: 4 }, perLearner: { burst: 30, refillPerSecond: 0.5 } },
} as const satisfies Record<string, RateLimit>;

export type RateLimitName = keyof typeof RATE_LIMITS;

/** What a request naming a join code costs in {@link RATE_LIMITS.codeLookups}: a failed lookup costs most. */
export const JOIN_CODE_COSTS = {
  /** The preview (`GET /api/workshops/{code}`) or a join, of a workshop that exists. */
  found: 1,
  /** Any request naming a well-formed code no workshop has (`404 unknown-workshop`). */
  unknown: 50,
  /** A member's own requests (heartbeat, stream, done…) and the host's, once the code is found: free. */
  member: 0,
} as const;

/**
 * Concurrent streaming connections: SSE streams (lessons, workshops, lesson 7
 * and 8 relays), WebSockets and held long polls, counted together.
 */
export const CONNECTION_LIMITS = {
  /**
   * Per client address (`MAX_CONNECTIONS_PER_IP`): 200 learners × 8 streams
   * (lesson 4's seven plus the workshop stream), plus a quarter for second tabs.
   */
  maxPerAddress: 2_000,
  /** Share of the process's file-descriptor limit all streams together may use (`MAX_CONNECTIONS`); the rest is for requests, files and the database. */
  fileDescriptorShare: 0.75,
  /** `Retry-After` of a refused stream: slots free up as streams close, nobody knows when. */
  retryAfterSeconds: 10,
} as const;
