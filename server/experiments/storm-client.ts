import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { stormDelay, type StormStrategy } from '../../src/protocol/production.ts';
import type { LoopbackTarget } from './loopback-target.ts';
import { internalHeaders } from '../limits/internal-requests.ts';

/** What a {@link StormClient} needs. */
export interface StormClientOptions {
  target: LoopbackTarget;
  /** Path of the storm's connect endpoint. */
  path: string;
  strategy: StormStrategy;
  /** [0, 1) like Math.random; tests pass a seeded one. */
  random?: () => number;
  /** An attempt with no answer after this long fails (default {@link ATTEMPT_TIMEOUT_MS}); tests shrink it. */
  attemptTimeoutMs?: number;
}

/** Every attempt gives up after this long (the loopback answers in microseconds; this is only a safety net). */
export const ATTEMPT_TIMEOUT_MS = 5_000;

/**
 * One client of the storm's fleet: a real HTTP client over loopback that
 * holds a long response open (like an SSE stream or a long poll), and when it
 * loses it, reconnects the way its strategy says — at once, after a doubling
 * wait, or after a random share of that wait. Each attempt is a new TCP
 * connection, as a reconnect after a restart is.
 */
export class StormClient {
  readonly #options: StormClientOptions;
  readonly #random: () => number;
  /** Failures in a row: 1 after the restart cut the connection, +1 for each refused attempt. */
  #failures = 0;
  #request: ClientRequest | undefined;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #stopped = false;
  connected = false;
  /** Attempts this client made since the restart. */
  attempts = 0;

  constructor(options: StormClientOptions) {
    this.#options = options;
    this.#random = options.random ?? Math.random;
  }

  /** The first connection, before the restart. */
  connect(): void {
    this.#attempt();
  }

  /** Stops for good: no more attempts; the held connection (if any) is closed. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#request?.destroy();
    this.#request = undefined;
  }

  #attempt(): void {
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#stopped) return;
    const { target, path } = this.#options;
    // agent: false — a fresh TCP connection per attempt, no pooled keep-alive socket.
    const timeout = this.#options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    const request = httpRequest({ host: target.host, port: target.port, path, headers: internalHeaders(), agent: false, timeout });
    this.#request = request;
    request.on('response', (response) => this.#onResponse(request, response));
    request.on('timeout', () => request.destroy(new Error('attempt timed out')));
    request.on('error', () => this.#failed(request));
    request.end();
  }

  #onResponse(request: ClientRequest, response: IncomingMessage): void {
    if (response.statusCode !== 200) {
      response.resume(); // read and drop the 503's body, so the socket closes
      response.once('end', () => this.#failed(request));
      response.once('error', () => {});
      return;
    }
    this.connected = true;
    this.#failures = 0;
    // The timeout is the socket's idle timeout: left on, it would cut the held
    // connection, which carries nothing, after 5 s, and the client would reconnect
    // in a storm that is over for it (the extra attempts and the long tail of issue 16).
    request.setTimeout(0);
    response.resume();
    response.once('error', () => {});
    // The held response ends only when the server restarts (or the storm stops us).
    response.once('close', () => {
      if (this.#request !== request) return;
      this.connected = false;
      if (this.#stopped) return;
      this.#failures = 1;
      this.#schedule();
    });
  }

  #failed(request: ClientRequest): void {
    if (this.#request !== request || this.#stopped || this.connected) return;
    this.#request = undefined;
    this.#failures += 1;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.attempts += 1;
    const delayMs = stormDelay(this.#options.strategy, this.#failures, this.#random);
    // "No backoff" retries in the next turn of the event loop, not in this one: a
    // synchronous loop would never let the server answer.
    if (delayMs <= 0) this.#immediate = setImmediate(() => this.#attempt());
    else this.#timer = setTimeout(() => this.#attempt(), delayMs);
  }
}
