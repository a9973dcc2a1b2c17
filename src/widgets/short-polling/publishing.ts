import { batch } from '@preact/signals';
import type { PublishResponse } from '../../protocol/events.ts';
import { isTerminal, JOB_LIMITS } from '../../protocol/jobs.ts';
import type { Clock } from '../shared/clock.ts';
import { formatInterval } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { updateBySeq } from '../shared/record-list.ts';
import type { ShortPollingClient } from './client.ts';
import type { PollRun } from './poll-run.ts';
import type { PublishRecord } from './records.ts';
import type { ShortPollState } from './state.ts';

/** What publishing a note works with. */
export interface PublishContext {
  readonly state: ShortPollState;
  readonly client: ShortPollingClient;
  readonly clock: Clock;
  /** The current run, if any: its job takes the note. */
  run(): PollRun | null;
}

/** Publishes a note to the run's channel: the unfinished job takes it, and the poller sees it at its next poll. */
export async function publishNote(context: PublishContext, text: string): Promise<void> {
  const { state, client, clock } = context;
  const current = context.run();
  const currentJob = state.job.peek();
  if (!current?.channel || state.phase.peek() !== 'polling' || !currentJob || isTerminal(currentJob.state)) {
    state.error.value = 'Start a job first: a note changes the unfinished jobs of your channel.';
    return;
  }
  const note = text.trim();
  if (note.length === 0 || [...note].length > JOB_LIMITS.maxNoteLength) {
    state.error.value = `Write a note of 1 to ${JOB_LIMITS.maxNoteLength} characters.`;
    return;
  }
  const seq = state.publishes.peek().length + 1;
  const entry: PublishRecord = {
    seq,
    text: note,
    status: 'sending',
    clickedAt: clock.now(),
    ackAt: null,
    serverAt: null,
    changedAt: null,
    seenAt: null,
    seenBy: null,
    stalenessMs: null,
    error: null,
  };
  const update = (change: Partial<PublishRecord>) => {
    state.publishes.value = updateBySeq(state.publishes.value, seq, change);
  };
  batch(() => {
    state.publishes.value = [...state.publishes.value, entry];
    state.publishing.value = true;
    state.error.value = null;
  });
  let answer: PublishResponse;
  try {
    answer = await client.publishNote(current.channel, note);
  } catch (failure) {
    if (context.run() !== current) return;
    batch(() => {
      state.publishing.value = false;
      update({ status: 'failed', error: errorMessage(failure) });
      state.error.value = errorMessage(failure);
    });
    return;
  }
  if (context.run() !== current) return; // A new job (or a reset) replaced this run and its records.
  const ackAt = clock.now();
  const changedAt = current.toClientTime(answer.ts);
  batch(() => {
    state.publishing.value = false;
    // The job ended while the note travelled: the run's finish already marked it.
    if (state.publishes.value.find((item) => item.seq === seq)?.status !== 'sending') return;
    // The server ignores a note equal to the job's current one: no new version, nothing to see.
    if (current.lastNote === note) {
      update({ status: 'no-change', ackAt, serverAt: answer.ts, changedAt });
      state.status.value = 'The job already has this note, so nothing changed. Write a different one.';
      return;
    }
    update({ status: 'pending', ackAt, serverAt: answer.ts, changedAt });
    state.status.value = current.active
      ? `Published: the job changed on the server. The poller will see it at its next poll, up to ${formatInterval(state.intervalMs.peek())} from now.`
      : 'Published, but nobody is polling: nobody will see it.';
  });
}
