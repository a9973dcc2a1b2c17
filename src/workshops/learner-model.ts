import { batch, effect, signal, type ReadonlySignal } from '@preact/signals';
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
  const clock = options.clock ?? systemClock;
  const openEventSource = options.openEventSource ?? ((url: string) => new EventSource(url) as LearnerEventSource);
  const channels = options.channels ?? pageChannels;
  const lent = options.connectionsLent ?? connectionsLent;
  const store = options.store ?? { write: (entry: StoredMembership) => writeMembership(entry), clear: () => clearMembership() };
  const heartbeatMs = options.heartbeatMs ?? WORKSHOP_TIMINGS.heartbeatMs;
  const code = stored.code;

  const membership = signal(stored);
  const done = signal(false);
  const state = signal<WorkshopState>('open');
  const prompt = signal<WorkshopFocus | null>(null);
  const ended = signal<string | null>(null);
  const busy = signal(false);
  const error = signal<string | null>(null);

  let source: LearnerEventSource | null = null;
  let heartbeatTimer: unknown = null;
  let channelTimer: unknown = null;
  let stopChannels: (() => void) | null = null;
  let stopLending: (() => void) | null = null;
  /** The stream's last event id: the previous page's (this tab's sessionStorage), then this page's. */
  let lastEventId = readLastEventId(code);
  let disposed = false;

  function save(entry: StoredMembership): void {
    membership.value = entry;
    store.write(entry);
  }

  function end(message: string): void {
    if (ended.peek() !== null) return;
    stopEverything();
    store.clear();
    batch(() => {
      prompt.value = null;
      ended.value = message;
    });
  }

  function fail(failure: unknown): void {
    if (disposed) return;
    if (meansOver(failure)) end(`The workshop “${membership.peek().title}” has ended.`);
    else error.value = errorMessage(failure);
  }

  function adopt(answer: Membership): void {
    save(fromMembership(answer, membership.peek()));
    batch(() => {
      done.value = answer.member.doneAt !== null;
      state.value = answer.workshop.state;
    });
    if (answer.workshop.state === 'closed') end(`The workshop “${answer.workshop.title}” has ended.`);
  }

  function onFocus(focus: WorkshopFocus): void {
    done.value = false; // The host moved on: every "done" was lowered.
    if (shouldPrompt(focus, membership.peek().focusAckAt, options.currentLesson)) {
      prompt.value = focus;
      return;
    }
    prompt.value = null; // A newer "go to" replaces an unanswered one.
    ackFocus(focus.at);
  }

  function ackFocus(at: number): void {
    const current = membership.peek();
    if ((current.focusAckAt ?? 0) >= at) return;
    save({ ...current, focusAckAt: at });
  }

  /** Adopts the server's membership, and asks to follow its focus unless already answered or there. */
  function catchUp(answer: Membership): void {
    if (disposed) return;
    adopt(answer);
    const focus = answer.workshop.focus;
    if (ended.peek() !== null || !focus) return;
    if (shouldPrompt(focus, membership.peek().focusAckAt, options.currentLesson)) prompt.value = focus;
    else ackFocus(focus.at);
  }

  async function heartbeat(): Promise<void> {
    if (disposed || ended.peek() !== null) return;
    try {
      await client.heartbeat(code, {
        lesson: options.currentLesson,
        channels: channels.peek().slice(0, WORKSHOP_LIMITS.maxChannelsPerMember),
        // While the stream is lent the server must not take its end for a closed tab.
        ...(lent.peek() ? { streaming: false } : {}),
      });
      if (!disposed) error.value = null;
    } catch (failure) {
      fail(failure);
    }
  }

  function scheduleHeartbeats(): void {
    const tick = () => {
      heartbeatTimer = clock.setTimeout(() => {
        void heartbeat();
        tick();
      }, heartbeatMs);
    };
    tick();
  }

  function openStream(): void {
    const es = openEventSource(client.learnerStreamUrl(code, lastEventId));
    source = es;
    const on = (type: string, handle: (data: unknown) => void) =>
      es.addEventListener(type, (event) => {
        if (source !== es) return;
        if (event.lastEventId) {
          lastEventId = event.lastEventId;
          writeLastEventId(code, lastEventId);
        }
        try {
          handle(JSON.parse(event.data));
        } catch {
          // Not JSON: not an event of this protocol.
        }
      });
    on(LEARNER_EVENTS.goto, (data) => onFocus(data as WorkshopFocus));
    // The server could not resume after our id (restarted, or too far behind): ask what we missed.
    on(SSE_RESET_EVENT, () => void client.me(code).then(catchUp, fail));
    on(LEARNER_EVENTS.state, (data) => {
      const next = (data as { state?: WorkshopState }).state;
      if (next === 'closed') end(`The workshop “${membership.peek().title}” has ended.`);
      else if (next === 'open' || next === 'locked') state.value = next;
    });
    es.onerror = () => {
      if (source !== es || es.readyState !== 2) return; // Still CONNECTING: the browser retries by itself.
      // Refused for good (not a member any more, or the workshop is gone): ask why.
      source = null;
      void client.me(code).then(adopt, fail);
    };
  }

  function stopEverything(): void {
    source?.close();
    source = null;
    if (heartbeatTimer !== null) clock.clearTimeout(heartbeatTimer);
    heartbeatTimer = null;
    if (channelTimer !== null) clock.clearTimeout(channelTimer);
    channelTimer = null;
    stopChannels?.();
    stopChannels = null;
    stopLending?.();
    stopLending = null;
  }

  async function start(): Promise<void> {
    try {
      const answer = await client.me(code);
      if (disposed) return;
      catchUp(answer);
      if (ended.peek() !== null) return;
    } catch (failure) {
      fail(failure);
      if (ended.peek() !== null || disposed) return;
      // Unreachable server: keep going with what is stored; the heartbeat and stream retry.
    }
    void heartbeat();
    scheduleHeartbeats();
    stopLending = effect(() => {
      if (lent.value) {
        source?.close();
        source = null;
        // "This page is still here, without its stream": presence stays online.
        void heartbeat();
      } else if (source === null && ended.peek() === null && !disposed) {
        openStream();
      }
    });
    // A demo that hydrates later (islands load when scrolled into view) adds its channel: report it soon.
    let first = true;
    stopChannels = effect(() => {
      void channels.value;
      if (first) {
        first = false;
        return;
      }
      if (channelTimer !== null) clock.clearTimeout(channelTimer);
      channelTimer = clock.setTimeout(() => {
        channelTimer = null;
        void heartbeat();
      }, 250);
    });
  }

  return {
    membership,
    done,
    state,
    prompt,
    ended,
    busy,
    error,
    start,
    heartbeat,
    async toggleDone() {
      if (busy.peek()) return;
      busy.value = true;
      try {
        const answer = await client.setDone(code, !done.peek());
        if (!disposed)
          batch(() => {
            adopt(answer);
            error.value = null;
          });
      } catch (failure) {
        fail(failure);
      } finally {
        busy.value = false;
      }
    },
    acknowledge() {
      const focus = prompt.peek();
      if (focus) ackFocus(focus.at);
      prompt.value = null;
    },
    async leave() {
      if (busy.peek()) return false;
      busy.value = true;
      try {
        await client.leave(code);
      } catch (failure) {
        if (!meansOver(failure)) {
          busy.value = false;
          error.value = errorMessage(failure);
          return false;
        }
      }
      stopEverything();
      store.clear();
      busy.value = false;
      return true;
    },
    dispose() {
      disposed = true;
      stopEverything();
    },
  };
}
