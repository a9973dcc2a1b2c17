import { signal, type Signal } from '@preact/signals';
import type { Job } from '../../protocol/jobs.ts';
import type { Phase, PollRecord, PublishRecord } from './records.ts';
import { INTERVAL } from './settings.ts';

/**
 * The short-polling widget's signals, in one place: the run, the publisher
 * and the model write them; the model hands them to the view read-only.
 */
export interface ShortPollState {
  readonly intervalMs: Signal<number>;
  readonly useEtag: Signal<boolean>;
  readonly channel: Signal<string | null>;
  readonly phase: Signal<Phase>;
  readonly job: Signal<Job | null>;
  readonly startedAt: Signal<number | null>;
  readonly polls: Signal<readonly PollRecord[]>;
  readonly publishes: Signal<readonly PublishRecord[]>;
  readonly inFlight: Signal<boolean>;
  readonly publishing: Signal<boolean>;
  /** Poll requests sent in this run, including one in flight. */
  readonly sent: Signal<number>;
  /** When the wait before the next poll began (the previous answer's arrival). */
  readonly waitFrom: Signal<number>;
  /** Set after an error: the backoff delay replacing the interval until a poll succeeds. */
  readonly retryDelayMs: Signal<number | null>;
  readonly pageVisible: Signal<boolean>;
  readonly status: Signal<string>;
  readonly error: Signal<string | null>;
}

export function createShortPollState(): ShortPollState {
  return {
    intervalMs: signal<number>(INTERVAL.initial),
    useEtag: signal(false),
    channel: signal<string | null>(null),
    phase: signal<Phase>('idle'),
    job: signal<Job | null>(null),
    startedAt: signal<number | null>(null),
    polls: signal<readonly PollRecord[]>([]),
    publishes: signal<readonly PublishRecord[]>([]),
    inFlight: signal(false),
    publishing: signal(false),
    sent: signal(0),
    waitFrom: signal(0),
    retryDelayMs: signal<number | null>(null),
    pageVisible: signal(true),
    status: signal(''),
    error: signal<string | null>(null),
  };
}

/** Forgets the run's polls, notes and errors (a new job, or a reset). */
export function clearRunState(state: ShortPollState): void {
  state.job.value = null;
  state.polls.value = [];
  state.publishes.value = [];
  state.sent.value = 0;
  state.inFlight.value = false;
  state.publishing.value = false;
  state.retryDelayMs.value = null;
  state.error.value = null;
}
