import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { CONNECTION_LIMITS, JOIN_CODE_COSTS, type RateLimit, type RateLimitName } from '../../src/protocol/rate-limits.ts';
import { HttpProblem, problemBody } from '../http/problem.ts';
import { readLearnerCookie } from '../progress/learner-cookie.ts';
import { addressKey, clientAddress, type TrustedProxies } from './client-address.ts';
import { StreamSlots, type SlotGrant, type StreamCaps } from './stream-slots.ts';
import { TokenBuckets } from './token-buckets.ts';

/** What {@link RequestLimits} enforces. */
export interface RequestLimitSettings {
  caps: StreamCaps;
  proxies: TrustedProxies;
  /** The buckets; `off` lets every request through (`RATE_LIMITS=off`). */
  rates: Record<RateLimitName, RateLimit> | 'off';
  /** The clock of the buckets (ms); tests pass a fake one. */
  now?: () => number;
}

/** What a 429 says happened, per limit: people read it in the widgets and the join form. */
const WHAT: Record<RateLimitName, string> = {
  workshopCreates: 'Too many workshops were created from this network',
  codeLookups: `Too many join codes were tried from this network (a code that names no workshop counts ${JOIN_CODE_COSTS.unknown} times)`,
  newLearners: 'Too many new learners started from this network',
  progressWrites: 'Progress was saved too often from this browser or network',
  publishes: 'Too many events were published from this browser or network',
  experiments: 'Too many demos and experiments were started from this browser or network',
};

/**
 * The connection caps and rate limits of one instance: stream slots per
 * client address and in all, and token buckets per address and per learner.
 * The client address is the TCP peer, or `X-Forwarded-For` behind a trusted
 * proxy; IPv6 addresses count by /64.
 */
export class RequestLimits {
  readonly #settings: RequestLimitSettings;
  readonly #slots: StreamSlots;
  readonly #perAddress = new Map<RateLimitName, TokenBuckets>();
  readonly #perLearner = new Map<RateLimitName, TokenBuckets>();

  constructor(settings: RequestLimitSettings) {
    this.#settings = settings;
    this.#slots = new StreamSlots(settings.caps);
    const rates = settings.rates === 'off' ? {} : settings.rates;
    for (const [name, limit] of Object.entries(rates) as [RateLimitName, RateLimit][]) {
      this.#perAddress.set(name, new TokenBuckets(limit.perAddress, settings.now));
      if (limit.perLearner) this.#perLearner.set(name, new TokenBuckets(limit.perLearner, settings.now));
    }
  }

  /** The key `request`'s client is counted under. */
  clientKey(request: IncomingMessage): string {
    return addressKey(clientAddress(request, this.#settings.proxies));
  }

  /** Streams held now, by the client under `key` or in all. */
  heldStreams(key?: string): number {
    return this.#slots.held(key);
  }

  /**
   * Takes a stream slot for `response`, given back when it closes.
   * @throws {HttpProblem} 429 `too-many-connections` with `Retry-After`.
   */
  holdStream(request: IncomingMessage, response: ServerResponse): void {
    const grant = this.#slots.acquire(this.clientKey(request));
    if (!grant.ok) throw new HttpProblem(tooManyStreams(grant));
    // `release` gives the slot back once however often it is called: `on` spares the wrapper `once` makes per listener.
    response.on('close', grant.release);
  }

  /**
   * Takes a stream slot for a WebSocket upgrade, given back when the socket
   * closes. When full, answers `429` on the socket (no upgrade) and returns false.
   */
  admitUpgrade(request: IncomingMessage, socket: Duplex): boolean {
    const grant = this.#slots.acquire(this.clientKey(request));
    if (grant.ok) {
      socket.on('close', grant.release);
      return true;
    }
    const init = tooManyStreams(grant);
    const body = JSON.stringify(problemBody(init));
    // RFC 6455 §4.2.2: any status but 101 refuses the upgrade; the client sees the handshake fail.
    socket.end(
      `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${CONNECTION_LIMITS.retryAfterSeconds}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return false;
  }

  /**
   * Checks that `request`'s address (and learner, when it has a valid cookie)
   * may make a request of kind `name`, without taking anything.
   * @throws {HttpProblem} 429 `rate-limited` with `Retry-After`.
   */
  check(name: RateLimitName, request: IncomingMessage): void {
    const refusal = this.refusal(name, request);
    if (refusal) throw refusal;
  }

  /** The 429 {@link check} would throw, or undefined when the request may go. */
  refusal(name: RateLimitName, request: IncomingMessage): HttpProblem | undefined {
    const waits = this.#bucketsOf(name, request).map(({ buckets, key }) => buckets.check(key));
    const retryAfterSeconds = Math.max(0, ...waits.map((wait) => (wait.ok ? 0 : wait.retryAfterSeconds)));
    if (retryAfterSeconds === 0) return undefined;
    return new HttpProblem({
      status: 429,
      type: PROBLEM_TYPES.rateLimited,
      detail: `${WHAT[name]}; try again in ${retryAfterSeconds} s.`,
      extensions: { limit: name, retryAfter: retryAfterSeconds },
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }

  /** Takes `cost` tokens of kind `name` from `request`'s address (and learner). */
  take(name: RateLimitName, request: IncomingMessage, cost = 1): void {
    for (const { buckets, key } of this.#bucketsOf(name, request)) buckets.take(key, cost);
  }

  /** {@link check}, then {@link take} one token. */
  spend(name: RateLimitName, request: IncomingMessage): void {
    this.check(name, request);
    this.take(name, request);
  }

  #bucketsOf(name: RateLimitName, request: IncomingMessage): { buckets: TokenBuckets; key: string }[] {
    const perAddress = this.#perAddress.get(name);
    if (!perAddress) return [];
    const found = [{ buckets: perAddress, key: this.clientKey(request) }];
    const perLearner = this.#perLearner.get(name);
    const cookie = perLearner ? readLearnerCookie(request) : undefined;
    if (perLearner && cookie?.kind === 'valid') found.push({ buckets: perLearner, key: cookie.id });
    return found;
  }
}

function tooManyStreams(refusal: Extract<SlotGrant, { ok: false }>) {
  const who = refusal.scope === 'address' ? 'This network holds' : 'The server holds';
  return {
    status: 429,
    type: PROBLEM_TYPES.tooManyConnections,
    detail: `${who} ${refusal.limit} streams (SSE, WebSocket and held long polls together), as many as it may; close one, or try again in ${CONNECTION_LIMITS.retryAfterSeconds} s.`,
    extensions: { scope: refusal.scope, limit: refusal.limit },
    headers: { 'Retry-After': String(CONNECTION_LIMITS.retryAfterSeconds) },
  };
}
