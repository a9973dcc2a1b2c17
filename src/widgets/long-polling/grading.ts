import type { ExerciseCheck, LongPollStats, PublishRecord, Verification } from './records.ts';

/**
 * The check under the feed and the lesson's exercise (see EXERCISE in
 * settings.ts): is every notification sent since listening started in the
 * feed, exactly once, and did a lost answer come back through the cursor?
 */

/** Counts the notifications sent, against the feed at `epoch` and `cursor`. */
export function verifyDelivery(
  publishes: readonly PublishRecord[],
  epoch: number,
  cursor: number,
  duplicatesDropped: number,
): Verification {
  let sent = 0;
  let received = 0;
  let lost = 0;
  let sending = 0;
  let failed = 0;
  for (const entry of publishes) {
    if (entry.status === 'sending') sending++;
    else if (entry.status === 'failed') failed++;
    else {
      sent++;
      if (entry.status === 'received') received++;
      // The cursor passed its id without the feed seeing it: it will never come.
      else if (entry.epoch! < epoch || entry.id! <= cursor) lost++;
    }
  }
  return {
    sent,
    received,
    lost,
    pending: sent - received - lost,
    sending,
    failed,
    duplicatesDropped,
    text: `Sent ${sent} · received ${received} · lost ${lost} · duplicates dropped ${duplicatesDropped}`,
  };
}

/** The exercise: a loss that mattered was recovered, and every acknowledged notification arrived once. */
export function gradeExercise(check: Verification, counts: LongPollStats): ExerciseCheck {
  const recovered = counts.recoveries > 0;
  const allReceived = check.sent > 0 && check.received === check.sent && check.lost === 0 && check.sending === 0;
  return { responsesLost: counts.lost, recovered, allReceived, passed: recovered && allReceived };
}
