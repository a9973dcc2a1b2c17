import type { ServerResponse } from 'node:http';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { LONG_POLL_LIMITS, type LongPollResponse } from '../../src/protocol/long-polling.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { longPollQuery } from '../../src/protocol/request-queries.ts';
import type { LogRead } from '../events/channel-log.ts';
import type { EventBus } from '../events/event-bus.ts';
import { ReplayGate } from '../events/replay-gate.ts';
import type { ChannelFaults } from '../faults/channel-faults.ts';
import { HttpProblem, sendProblem } from '../http/problem.ts';
import { readQuery } from '../http/query.ts';
import type { RouteHandler } from '../http/router.ts';
import { dropBodyHeaders } from '../http/security-headers.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';

/** What the long-polling endpoint needs. */
export interface LongPollingOptions {
  bus: EventBus;
  /** Faults armed on channels: `server-errors`, `drop-next-response`, `slow`. */
  faults: Pick<ChannelFaults, 'takeServerError' | 'takeDropNextResponse' | 'slowDelayMs'>;
  /** Aborted when the server starts draining: held polls answer 503 at once. */
  draining: AbortSignal;
}

/** The endpoint and what it holds, for tests and metrics. */
export interface LongPolling {
  route: RouteHandler;
  /** Polls held open right now (on `channel`, or in all). */
  heldPolls(channel?: string): number;
  /**
   * Answers the polls held on `channel` at once with 503 and `Retry-After`
   * (a channel drain, lesson 7), as a draining server answers all of them.
   * @returns how many it answered.
   */
  drainChannel(channel: string, retryAfterSeconds: number): number;
}

/** A validated poll: `GET /api/long-poll/{channel}?cursor=N&timeout=MS`. */
interface Poll {
  channel: string;
  cursor: number;
  timeoutMs: number;
  response: ServerResponse;
}

/** How a poll ends. */
type PollOutcome =
  | ({ kind: 'events' } & LongPollResponse)
  | { kind: 'timeout' }
  /** `retryAfterSeconds` defaults to {@link RETRY_AFTER_SECONDS}. */
  | { kind: 'draining'; retryAfterSeconds?: number }
  /** The client went away (aborted, closed the tab, lost the network): nobody to answer. */
  | { kind: 'gone' }
  /** The shared log (Redis) cannot be read now. */
  | { kind: 'unavailable' };

/** Seconds a client should wait after a 503 (`Retry-After`): short, these outages are brief or elsewhere. */
const RETRY_AFTER_SECONDS = 1;

/**
 * `GET /api/long-poll/{channel}?cursor=N&timeout=MS` — long polling. Events
 * with `id > cursor` are answered at once (`200 {events, cursor}`); with
 * none, the request is held until one is published (`200`), or the timeout
 * passes (`204 No Content`: ask again). The client sends back `cursor` from
 * each answer, so nothing is missed or delivered twice between two polls.
 */
export function createLongPolling({ bus, faults, draining }: LongPollingOptions): LongPolling {
  const held = new HeldPolls();
  draining.addEventListener('abort', () => held.drain(), { once: true });
  const waiting: Waiting = { bus, draining, held };

  const route: RouteHandler = async ({ response, url, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    const { cursor, timeoutMs } = parseLongPollQuery(url.searchParams);

    // In memory the fault is known at once: only Redis's answer is awaited.
    const serverError = faults.takeServerError(channel);
    if (typeof serverError === 'boolean' ? serverError : await serverError) {
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.injectedFault,
        detail: `A "server-errors" fault is armed on channel ${channel}; poll again with the same cursor.`,
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
    }
    response.setHeader('Cache-Control', 'no-store');
    const poll: Poll = { channel, cursor, timeoutMs, response };
    hold(poll, waiting, (outcome) => reply(poll, outcome, faults, held));
  };

  return {
    route,
    heldPolls: (channel) => held.count(channel),
    drainChannel: (channel, retryAfterSeconds) => held.drain(channel, retryAfterSeconds),
  };
}

/**
 * Held polls (and answers the `slow` fault delays), each with how to end it
 * at once when the server, or its channel, drains.
 */
class HeldPolls {
  readonly #channels = new Map<(retryAfterSeconds?: number) => void, string>();

  add(channel: string, drain: (retryAfterSeconds?: number) => void): void {
    this.#channels.set(drain, channel);
  }

  delete(drain: (retryAfterSeconds?: number) => void): void {
    this.#channels.delete(drain);
  }

  /** Polls held on `channel`, or in all. */
  count(channel?: string): number {
    if (channel === undefined) return this.#channels.size;
    return [...this.#channels.values()].filter((name) => name === channel).length;
  }

  /**
   * Ends the polls held on `channel` (or all) with 503.
   * @returns how many it ended.
   */
  drain(channel?: string, retryAfterSeconds?: number): number {
    const draining = [...this.#channels].filter(([, name]) => channel === undefined || name === channel).map(([drain]) => drain);
    for (const drain of draining) drain(retryAfterSeconds);
    return draining.length;
  }
}

/** What a held poll waits on. */
interface Waiting {
  bus: EventBus;
  draining: AbortSignal;
  held: HeldPolls;
}

// #region hold
/**
 * The heart of long polling. Answer at once when the log has events after
 * the cursor; otherwise hold the request open until the first of:
 *   - an event is published on the channel → 200 with the events,
 *   - the timeout passes                    → 204, the client asks again,
 *   - the client goes away                  → nothing to send,
 *   - the server starts draining            → 503, retry (elsewhere).
 * The first one settles the poll, and settling releases the subscription
 * and the timer: a thousand abandoned polls leave nothing behind.
 */
function hold(poll: Poll, { bus, draining, held }: Waiting, reply: (outcome: PollOutcome) => void): void {
  let settled = false;
  const settle = (outcome: PollOutcome) => {
    if (settled) return;
    settled = true;
    unsubscribe();
    clearTimeout(timer);
    held.delete(onDrain);
    reply(outcome);
  };
  // Subscribe *before* reading the log, so an event published in between cannot slip past;
  // the gate drops it if the read already had it. No sleep loop: the bus calls us the moment
  // an event is published, on whichever instance it was published.
  const gate = new ReplayGate((event) => settle({ kind: 'events', events: [event], cursor: event.id }));
  // The shared log was lost (Redis restarted empty): answer 204, the next poll's cursor gets a reset.
  const unsubscribe = bus.subscribe(poll.channel, gate.push, () => settle({ kind: 'timeout' }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onDrain = (retryAfterSeconds?: number) => settle({ kind: 'draining', retryAfterSeconds });
  held.add(poll.channel, onDrain);
  // 'close' fires when the client aborts or its connection drops (and, harmlessly, after we answer).
  poll.response.once('close', () => settle({ kind: 'gone' }));

  // Already something after the cursor? Then there is nothing to wait for.
  bus.since(poll.channel, poll.cursor).then(
    (read) => {
      if (settled) return; // the client left, or the server drained, during the read
      const waiting = answerFrom(read);
      if (waiting) settle(waiting);
      else if (draining.aborted) settle({ kind: 'draining' });
      else {
        // The hold counts from here: `timeout=0` is a plain poll, answered after the read.
        timer = setTimeout(() => settle({ kind: 'timeout' }), poll.timeoutMs);
        gate.open(read.latestId);
      }
    },
    () => settle({ kind: 'unavailable' }),
  );
}
// #endregion hold

/** The poll's answer from a read of the log, or `undefined` when it holds nothing after the cursor. */
function answerFrom(read: LogRead): PollOutcome | undefined {
  // A cursor the log cannot continue from (evicted, or ahead after a restart) is answered at once,
  // even with no events: holding would skip everything between the log's newest id and the cursor.
  if (read.events.length === 0 && !read.reset) return undefined;
  const events: ChannelEvent[] = read.events.slice(0, LONG_POLL_LIMITS.maxEvents);
  const cursor = events.at(-1)?.id ?? read.latestId;
  return read.reset ? { kind: 'events', events, cursor, reset: true } : { kind: 'events', events, cursor };
}

/** Sends the outcome, applying the channel's `drop-next-response` and `slow` faults to answers with events. */
function reply(poll: Poll, outcome: PollOutcome, faults: LongPollingOptions['faults'], held: HeldPolls): void {
  const { response } = poll;
  switch (outcome.kind) {
    case 'gone':
      return;
    case 'timeout':
      // Nothing happened: 204 has no body (RFC 9110 §15.3.5); the client polls again with the same cursor.
      dropBodyHeaders(response);
      response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    case 'unavailable':
      sendProblem(response, {
        status: 503,
        type: PROBLEM_TYPES.backendUnavailable,
        detail: 'The event log cannot be reached right now; poll again with the same cursor.',
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
      return;
    case 'draining':
      sendProblem(response, {
        status: 503,
        type: PROBLEM_TYPES.draining,
        detail: 'The server is restarting; poll again with the same cursor.',
        // The next poll should open a new connection, which a load balancer can send to another instance.
        headers: { 'Retry-After': String(outcome.retryAfterSeconds ?? RETRY_AFTER_SECONDS), Connection: 'close' },
      });
      return;
    case 'events': {
      const delayMs = faults.slowDelayMs(poll.channel);
      if (delayMs === 0) return sendEvents(poll, outcome, faults);
      // The `slow` fault delays the answer only: the events were already taken when the poll woke.
      const send = () => {
        clearTimeout(timer);
        held.delete(send);
        sendEvents(poll, outcome, faults);
      };
      const timer = setTimeout(send, delayMs);
      held.add(poll.channel, send); // a drain sends it at once
      response.once('close', () => {
        clearTimeout(timer);
        held.delete(send);
      });
    }
  }
}

function sendEvents(poll: Poll, answer: LongPollResponse, faults: LongPollingOptions['faults']): void {
  if (poll.response.destroyed) return;
  // Taken only for an answer about to be sent, so exactly one is lost (with Redis: across instances).
  // In memory the fault is known at once: no promise per answer. A fault that cannot be checked now
  // (Redis down) counts as not armed: the events are ready.
  const drop = faults.takeDropNextResponse(poll.channel);
  if (typeof drop === 'boolean') return send(poll, answer, drop);
  drop.then(
    (armed) => send(poll, answer, armed),
    () => send(poll, answer, false),
  );
}

function send(poll: Poll, { events, cursor, reset }: LongPollResponse, drop: boolean): void {
  if (poll.response.destroyed) return;
  const body: LongPollResponse = reset ? { events, cursor, reset } : { events, cursor };
  if (drop) {
    // The lost response: the events were taken, then the connection dies halfway through the body.
    // Dying before the first byte would not do: browsers silently resend a request whose reused
    // keep-alive connection closed with no answer, and the loss would never be seen. Cut mid-body,
    // the client sees a network error and must ask again with its old cursor to get the events.
    const json = JSON.stringify(body);
    poll.response.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    poll.response.write(json.slice(0, Math.floor(json.length / 2)), () => poll.response.destroy());
    return;
  }
  sendJson(poll.response, 200, body);
}

/**
 * Reads `cursor` (required, 0 to 2^53 − 1) and `timeout` (optional, ms, default
 * 25 000; more than 30 000 is cut to 30 000) from a long poll's query.
 * @throws {HttpProblem} 400 `invalid-query` naming the parameter.
 */
export function parseLongPollQuery(query: URLSearchParams): { cursor: number; timeoutMs: number } {
  const { cursor, timeout } = readQuery(query, longPollQuery);
  // Longer holds are cut rather than refused: a client asking for 60 s still gets a working poll.
  const timeoutMs = Math.min(timeout ?? LONG_POLL_LIMITS.defaultTimeoutMs, LONG_POLL_LIMITS.maxTimeoutMs);
  return { cursor, timeoutMs };
}
