import { batch, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import {
  LEARNER_EVENTS,
  WORKSHOP_LIMITS,
  WORKSHOP_TIMINGS,
  type Membership,
  type WorkshopFocus,
  type WorkshopState,
} from '../protocol/workshops.ts';
import { SSE_RESET_EVENT } from '../protocol/sse.ts';
import { systemClock, type Clock } from '../widgets/shared/clock.ts';
import { ApiError, errorMessage } from '../widgets/shared/http.ts';
import { connectionsLent } from '../widgets/shared/lent-connections.ts';
import type { WorkshopClient } from './client.ts';
import { demoChannels as pageChannels } from '../widgets/shared/demo-channels.ts';
import {
  clearMembership,
  fromMembership,
  readLastEventId,
  shouldPrompt,
  writeLastEventId,
  writeMembership,
  type StoredMembership,
} from './membership.ts';

/**
 * The learner's side of a workshop on every page (the workshop bar): a
 * heartbeat saying where the reader is and which demo channels the page has,
 * the learner stream (the host's "go to" and state changes), and "done with
 * this step". The stream resumes across page loads: its last event id is
 * kept per tab and sent as `?lastEventId=` by the next page.
 */

export interface LearnerEventSource {
  readonly readyState: number;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface LearnerModelOptions {
  /** The lesson this page shows (a slug), or null. */
  currentLesson: string | null;
  clock?: Clock;
  openEventSource?: (url: string) => LearnerEventSource;
  /** The page's demo channels; default: the page-wide registry. */
  channels?: ReadonlySignal<readonly string[]>;
  /** True while an experiment borrows the stream's connection; default: the page-wide `connectionsLent`. */
  connectionsLent?: ReadonlySignal<boolean>;
  /** Replaces the membership's storage (tests). */
  store?: { write(entry: StoredMembership): void; clear(): void };
  heartbeatMs?: number;
}

export interface LearnerModel {
  readonly membership: ReadonlySignal<StoredMembership>;
  readonly done: ReadonlySignal<boolean>;
  readonly state: ReadonlySignal<WorkshopState>;
  /** A "go to" waiting for the reader's answer. */
  readonly prompt: ReadonlySignal<WorkshopFocus | null>;
  /** Set when the membership is over: the workshop ended, or the reader is no longer in it. */
  readonly ended: ReadonlySignal<string | null>;
  readonly busy: ReadonlySignal<boolean>;
  readonly error: ReadonlySignal<string | null>;
  start(): Promise<void>;
  toggleDone(): Promise<void>;
  /** Answers the prompt: acknowledges its focus (the view then navigates, or not). */
  acknowledge(): void;
  leave(): Promise<boolean>;
  /** Sends a heartbeat now. */
  heartbeat(): Promise<void>;
  dispose(): void;
}

/** 404 (not a member, or no such workshop any more), 409 / 410 (closed). */
function meansOver(failure: unknown): boolean {
  return failure instanceof ApiError && (failure.status === 404 || failure.status === 409 || failure.status === 410);
}

export function createLearnerModel(client: WorkshopClient, stored: StoredMembership, options: LearnerModelOptions): LearnerModel {
  return new WorkshopLearnerModel(client, stored, options);
}

class WorkshopLearnerModel implements LearnerModel {
  readonly membership: Signal<StoredMembership>;
  readonly done = signal(false);
  readonly state = signal<WorkshopState>('open');
  readonly prompt = signal<WorkshopFocus | null>(null);
  readonly ended = signal<string | null>(null);
  readonly busy = signal(false);
  readonly error = signal<string | null>(null);

  readonly #client: WorkshopClient;
  readonly #options: LearnerModelOptions;
  readonly #code: string;
  readonly #clock: Clock;
  readonly #openEventSource: (url: string) => LearnerEventSource;
  readonly #channels: ReadonlySignal<readonly string[]>;
  readonly #lent: ReadonlySignal<boolean>;
  readonly #store: { write(entry: StoredMembership): void; clear(): void };
  readonly #heartbeatMs: number;
  #source: LearnerEventSource | null = null;
  #heartbeatTimer: unknown = null;
  #channelTimer: unknown = null;
  #stopChannels: (() => void) | null = null;
  #stopLending: (() => void) | null = null;
  /** The stream's last event id: the previous page's (this tab's sessionStorage), then this page's. */
  #lastEventId: string | undefined;
  #disposed = false;

  constructor(client: WorkshopClient, stored: StoredMembership, options: LearnerModelOptions) {
    this.#client = client;
    this.#options = options;
    this.#code = stored.code;
    this.#clock = options.clock ?? systemClock;
    this.#openEventSource = options.openEventSource ?? ((url: string) => new EventSource(url) as LearnerEventSource);
    this.#channels = options.channels ?? pageChannels;
    this.#lent = options.connectionsLent ?? connectionsLent;
    this.#store = options.store ?? { write: (entry: StoredMembership) => writeMembership(entry), clear: () => clearMembership() };
    this.#heartbeatMs = options.heartbeatMs ?? WORKSHOP_TIMINGS.heartbeatMs;
    this.membership = signal(stored);
    this.#lastEventId = readLastEventId(this.#code);
  }

  async start(): Promise<void> {
    try {
      const answer = await this.#client.me(this.#code);
      if (this.#disposed) return;
      this.#catchUp(answer);
      if (this.ended.peek() !== null) return;
    } catch (failure) {
      this.#fail(failure);
      if (this.ended.peek() !== null || this.#disposed) return;
      // Unreachable server: keep going with what is stored; the heartbeat and stream retry.
    }
    void this.heartbeat();
    this.#scheduleHeartbeats();
    this.#stopLending = effect(() => {
      if (this.#lent.value) {
        this.#source?.close();
        this.#source = null;
        // "This page is still here, without its stream": presence stays online.
        void this.heartbeat();
      } else if (this.#source === null && this.ended.peek() === null && !this.#disposed) {
        this.#openStream();
      }
    });
    this.#reportNewChannels();
  }

  async heartbeat(): Promise<void> {
    if (this.#disposed || this.ended.peek() !== null) return;
    try {
      await this.#client.heartbeat(this.#code, {
        lesson: this.#options.currentLesson,
        channels: this.#channels.peek().slice(0, WORKSHOP_LIMITS.maxChannelsPerMember),
        // While the stream is lent the server must not take its end for a closed tab.
        ...(this.#lent.peek() ? { streaming: false } : {}),
      });
      if (!this.#disposed) this.error.value = null;
    } catch (failure) {
      this.#fail(failure);
    }
  }

  async toggleDone(): Promise<void> {
    if (this.busy.peek()) return;
    this.busy.value = true;
    try {
      const answer = await this.#client.setDone(this.#code, !this.done.peek());
      if (!this.#disposed)
        batch(() => {
          this.#adopt(answer);
          this.error.value = null;
        });
    } catch (failure) {
      this.#fail(failure);
    } finally {
      this.busy.value = false;
    }
  }

  acknowledge(): void {
    const focus = this.prompt.peek();
    if (focus) this.#ackFocus(focus.at);
    this.prompt.value = null;
  }

  async leave(): Promise<boolean> {
    if (this.busy.peek()) return false;
    this.busy.value = true;
    try {
      await this.#client.leave(this.#code);
    } catch (failure) {
      if (!meansOver(failure)) {
        this.busy.value = false;
        this.error.value = errorMessage(failure);
        return false;
      }
    }
    this.#stopEverything();
    this.#store.clear();
    this.busy.value = false;
    return true;
  }

  dispose(): void {
    this.#disposed = true;
    this.#stopEverything();
  }

  #save(entry: StoredMembership): void {
    this.membership.value = entry;
    this.#store.write(entry);
  }

  #end(message: string): void {
    if (this.ended.peek() !== null) return;
    this.#stopEverything();
    this.#store.clear();
    batch(() => {
      this.prompt.value = null;
      this.ended.value = message;
    });
  }

  #endedText(): string {
    return `The workshop “${this.membership.peek().title}” has ended.`;
  }

  #fail(failure: unknown): void {
    if (this.#disposed) return;
    if (meansOver(failure)) this.#end(this.#endedText());
    else this.error.value = errorMessage(failure);
  }

  #adopt(answer: Membership): void {
    this.#save(fromMembership(answer, this.membership.peek()));
    batch(() => {
      this.done.value = answer.member.doneAt !== null;
      this.state.value = answer.workshop.state;
    });
    if (answer.workshop.state === 'closed') this.#end(`The workshop “${answer.workshop.title}” has ended.`);
  }

  #onFocus(focus: WorkshopFocus): void {
    this.done.value = false; // The host moved on: every "done" was lowered.
    if (shouldPrompt(focus, this.membership.peek().focusAckAt, this.#options.currentLesson)) {
      this.prompt.value = focus;
      return;
    }
    this.prompt.value = null; // A newer "go to" replaces an unanswered one.
    this.#ackFocus(focus.at);
  }

  #ackFocus(at: number): void {
    const current = this.membership.peek();
    if ((current.focusAckAt ?? 0) >= at) return;
    this.#save({ ...current, focusAckAt: at });
  }

  /** Adopts the server's membership, and asks to follow its focus unless already answered or there. */
  #catchUp(answer: Membership): void {
    if (this.#disposed) return;
    this.#adopt(answer);
    const focus = answer.workshop.focus;
    if (this.ended.peek() !== null || !focus) return;
    if (shouldPrompt(focus, this.membership.peek().focusAckAt, this.#options.currentLesson)) this.prompt.value = focus;
    else this.#ackFocus(focus.at);
  }

  #scheduleHeartbeats(): void {
    const tick = () => {
      this.#heartbeatTimer = this.#clock.setTimeout(() => {
        void this.heartbeat();
        tick();
      }, this.#heartbeatMs);
    };
    tick();
  }

  /** A demo that hydrates later (islands load when scrolled into view) adds its channel: report it soon. */
  #reportNewChannels(): void {
    let first = true;
    this.#stopChannels = effect(() => {
      void this.#channels.value;
      if (first) {
        first = false;
        return;
      }
      if (this.#channelTimer !== null) this.#clock.clearTimeout(this.#channelTimer);
      this.#channelTimer = this.#clock.setTimeout(() => {
        this.#channelTimer = null;
        void this.heartbeat();
      }, 250);
    });
  }

  #openStream(): void {
    const code = this.#code;
    const es = this.#openEventSource(this.#client.learnerStreamUrl(code, this.#lastEventId));
    this.#source = es;
    const on = (type: string, handle: (data: unknown) => void) =>
      es.addEventListener(type, (event) => {
        if (this.#source !== es) return;
        if (event.lastEventId) {
          this.#lastEventId = event.lastEventId;
          writeLastEventId(code, event.lastEventId);
        }
        try {
          handle(JSON.parse(event.data));
        } catch {
          // Not JSON: not an event of this protocol.
        }
      });
    on(LEARNER_EVENTS.goto, (data) => this.#onFocus(data as WorkshopFocus));
    // The server could not resume after our id (restarted, or too far behind): ask what we missed.
    on(
      SSE_RESET_EVENT,
      () =>
        void this.#client.me(code).then(
          (answer) => this.#catchUp(answer),
          (failure: unknown) => this.#fail(failure),
        ),
    );
    on(LEARNER_EVENTS.state, (data) => {
      const next = (data as { state?: WorkshopState }).state;
      if (next === 'closed') this.#end(this.#endedText());
      else if (next === 'open' || next === 'locked') this.state.value = next;
    });
    es.onerror = () => {
      if (this.#source !== es || es.readyState !== 2) return; // Still CONNECTING: the browser retries by itself.
      // Refused for good (not a member any more, or the workshop is gone): ask why.
      this.#source = null;
      void this.#client.me(code).then(
        (answer) => this.#adopt(answer),
        (failure: unknown) => this.#fail(failure),
      );
    };
  }

  #stopEverything(): void {
    this.#source?.close();
    this.#source = null;
    if (this.#heartbeatTimer !== null) this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    if (this.#channelTimer !== null) this.#clock.clearTimeout(this.#channelTimer);
    this.#channelTimer = null;
    this.#stopChannels?.();
    this.#stopChannels = null;
    this.#stopLending?.();
    this.#stopLending = null;
  }
}
