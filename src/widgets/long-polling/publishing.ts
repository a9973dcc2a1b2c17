import { batch } from '@preact/signals';
import type { Clock } from '../shared/clock.ts';
import { errorMessage } from '../shared/http.ts';
import type { LongPollingClient } from './client.ts';
import { keyOf, notificationText } from './feed-items.ts';
import type { ListeningSession } from './listening-session.ts';
import type { PublishRecord } from './records.ts';
import { NOTIFICATION_TYPE } from './settings.ts';
import { type LongPollState, updatePublish } from './state.ts';

/** What publishing a notification works with. */
export interface PublishContext {
  readonly state: LongPollState;
  readonly client: LongPollingClient;
  readonly clock: Clock;
  /** The current listening session, if any: what was sent is checked against what it received. */
  session(): ListeningSession | null;
}

const START_FIRST = 'Start listening first: the check counts what was sent while the feed listens.';

/** Publishes one notification to the widget's channel, and follows it until the feed receives it. */
export async function sendNotification(context: PublishContext, text?: string): Promise<void> {
  const { state, client, clock } = context;
  const current = context.session();
  const name = state.channel.peek();
  if (!current?.active || name === null) {
    state.error.value = START_FIRST;
    return;
  }
  const seq = current.nextPublishSeq();
  const entry: PublishRecord = {
    seq,
    text: text?.trim() || notificationText(seq),
    status: 'sending',
    clickedAt: clock.now(),
    ackAt: null,
    id: null,
    epoch: null,
    receivedAt: null,
    requestSeq: null,
    error: null,
  };
  batch(() => {
    state.publishes.value = [...state.publishes.peek(), entry];
    state.publishing.value++;
  });
  let id: number;
  try {
    ({ id } = await client.publish(name, NOTIFICATION_TYPE, { text: entry.text }));
  } catch (failure) {
    if (context.session() !== current) return; // Listening restarted: this record is gone with the old session.
    batch(() => {
      state.publishing.value--;
      updatePublish(state, seq, { status: 'failed', error: errorMessage(failure) });
      state.error.value = `Could not send “${entry.text}”: ${errorMessage(failure)}`;
    });
    return;
  }
  if (context.session() !== current) return;
  const ackEpoch = state.epoch.peek();
  // The held request can bring the event back before the 201 arrives: then it is received already.
  const seen = current.delivered.get(keyOf(ackEpoch, id));
  batch(() => {
    state.publishing.value--;
    updatePublish(state, seq, {
      status: seen ? 'received' : 'waiting',
      id,
      epoch: ackEpoch,
      ackAt: clock.now(),
      receivedAt: seen?.receivedAt ?? null,
      requestSeq: seen?.requestSeq ?? null,
    });
  });
}

/** Publishes `count` notifications at once: how many answers do they take? */
export async function sendBurst(context: PublishContext, count: number): Promise<void> {
  if (!context.session()?.active) {
    context.state.error.value = START_FIRST;
    return;
  }
  context.state.status.value = `Sending ${count} notifications at once: watch how many answers they take.`;
  await Promise.all(Array.from({ length: count }, () => sendNotification(context)));
}
