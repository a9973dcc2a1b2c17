import type { IncomingMessage } from 'node:http';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';
import { readLearnerCookie } from '../progress/learner-cookie.ts';

/** The check a route that breaks or stops a channel makes. */
export type ChannelGuard = Pick<ChannelAccess, 'requireOwner'>;

/** How many channel owners one instance remembers: twice the channels the event bus keeps (`EVENT_LIMITS.maxChannels`). */
const DEFAULT_MAX_CHANNELS = 20_000;

/**
 * Who owns which channel, so whoever merely knows a channel's name cannot
 * break a reader's demo (docs/security.md, "Channel ownership").
 *
 * A channel belongs to the learner (the `rtw_learner` cookie) whose request
 * first touched it: opening a stream, publishing, starting a job, arming a
 * fault. Reading and publishing stay open to everyone; what breaks or stops
 * the channel for its reader (faults, drains, lesson 7's experiments,
 * lesson 8's instances) needs its owner. A request without the cookie claims
 * nothing, and may act only on a channel nobody owns (curl, tests, the
 * server's own loopback clients).
 *
 * Owners live in this process, least recently used forgotten first.
 */
export class ChannelAccess {
  readonly #owners = new Map<string, string>();
  readonly #maxChannels: number;

  constructor(maxChannels = DEFAULT_MAX_CHANNELS) {
    this.#maxChannels = maxChannels;
  }

  /** The learner who owns `channel`, if anyone does. */
  ownerOf(channel: string): string | undefined {
    return this.#owners.get(channel);
  }

  /**
   * Makes `learner` the owner of `channel` if nobody owns it yet.
   * @returns whether `learner` owns it now (false: another learner does).
   */
  claim(channel: string, learner: string): boolean {
    const owner = this.#owners.get(channel);
    if (owner !== undefined && owner !== learner) return false;
    // Re-inserting moves the channel to the end: the least recently used come first.
    this.#owners.delete(channel);
    this.#owners.set(channel, learner);
    if (this.#owners.size > this.#maxChannels) this.#owners.delete(this.#owners.keys().next().value!);
    return true;
  }

  /** Claims `channel` for the request's learner, if it has one and nobody owns the channel; never refuses. */
  touch(channel: string, request: Pick<IncomingMessage, 'headers'>): void {
    const learner = learnerOf(request);
    if (learner !== undefined) this.claim(channel, learner);
  }

  /**
   * Lets the request `action` (e.g. "arm a fault on") the channel only if it
   * comes from the channel's owner, claiming a channel nobody owns yet.
   * @throws {HttpProblem} 403 `channel-not-yours`.
   */
  requireOwner(channel: string, request: IncomingMessage, action: string): void {
    const learner = learnerOf(request);
    if (learner === undefined ? !this.#owners.has(channel) : this.claim(channel, learner)) return;
    throw new HttpProblem({
      status: 403,
      type: PROBLEM_TYPES.channelNotYours,
      detail:
        learner === undefined
          ? `The channel ${channel} belongs to the reader who opened it; a request without their learner cookie cannot ${action} it. Use a channel of your own.`
          : `The channel ${channel} belongs to another reader: only they can ${action} it. Use a channel of your own (reload the page for a new one).`,
      extensions: { channel },
    });
  }
}

/** The request's learner id: a valid `rtw_learner` cookie, else undefined (a malformed one counts as none). */
function learnerOf(request: Pick<IncomingMessage, 'headers'>): string | undefined {
  const cookie = readLearnerCookie(request);
  return cookie.kind === 'valid' ? cookie.id : undefined;
}
