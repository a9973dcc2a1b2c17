import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import {
  PRODUCTION_EVENTS,
  type SlowConsumerCut,
  type SlowConsumerDone,
  type SlowConsumerResumed,
  type SlowConsumerSample,
  type SlowConsumerTransport,
  type StartSlowConsumerResponse,
} from '../../protocol/production.ts';
import { formatBytes, formatMs } from '../shared/format.ts';
import type { ProductionClient } from './client.ts';
import { ExperimentFeed } from './experiment-feed.ts';
import { createHeldExperiment } from './held-experiment.ts';

/**
 * The slow-consumer widget's state, with no DOM and no JSX. The experiment
 * runs on the server (a fast publisher, a consumer that reads slowly); the
 * widget follows its samples and outcome on its channel.
 */

/** Reading speeds the reader can give the consumer, in bytes per second. */
export const READ_RATE_CHOICES = [
  { bytesPerSecond: 0, label: 'Nothing (stalled)' },
  { bytesPerSecond: 20_000, label: '20 kB/s (a weak mobile link)' },
  { bytesPerSecond: 200_000, label: '200 kB/s' },
  { bytesPerSecond: 2_000_000, label: '2 MB/s (keeps up)' },
] as const;

export const TRANSPORT_LABELS: Record<SlowConsumerTransport, string> = {
  sse: 'Server-Sent Events',
  websocket: 'WebSocket',
};

export interface SlowRun {
  started: StartSlowConsumerResponse;
  samples: SlowConsumerSample[];
  cut?: SlowConsumerCut;
  resumed?: SlowConsumerResumed;
  done?: SlowConsumerDone;
}

export type SlowPhase = 'idle' | 'starting' | 'running';

export interface SlowConsumerModel {
  readonly channel: Signal<string>;
  readonly transport: Signal<SlowConsumerTransport>;
  readonly readBytesPerSecond: Signal<number>;
  readonly phase: ReadonlySignal<SlowPhase>;
  readonly run: ReadonlySignal<SlowRun | null>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  /** When the server's experiment slots may free up (its `Retry-After`), or null. */
  readonly retryAt: ReadonlySignal<number | null>;
  start(): Promise<void>;
  /** The page is going away (`pagehide`): stop our run on the server. */
  leave(): void;
  dispose(): void;
}

export function createSlowConsumerModel(client: ProductionClient): SlowConsumerModel {
  const channel = signal('');
  const transport = signal<SlowConsumerTransport>('sse');
  const readBytesPerSecond = signal<number>(20_000);
  const phase = signal<SlowPhase>('idle');
  const run = signal<SlowRun | null>(null);
  const status = signal('Choose how the consumer reads, then start the firehose.');
  const error = signal<string | null>(null);
  const feed = new ExperimentFeed(client);
  const held = createHeldExperiment(client);
  let current: string | undefined;
  /** Events that arrived before the POST's answer named the run. */
  let early: { type: string; data: { run: string } }[] = [];

  const ours = (data: { run: string }, type: string): boolean => {
    if (current === undefined) {
      early.push({ type, data });
      return false;
    }
    return data.run === current;
  };
  const change = (update: (value: SlowRun) => SlowRun) => {
    if (run.value) run.value = update(run.value);
  };

  const handlers: Record<string, (data: unknown) => void> = {
    [PRODUCTION_EVENTS.slowSample]: (data) => {
      const sample = data as SlowConsumerSample;
      if (!ours(sample, PRODUCTION_EVENTS.slowSample)) return;
      change((value) => ({ ...value, samples: [...value.samples, sample] }));
      if (!run.value?.cut) {
        status.value =
          `The server holds ${formatBytes(sample.serverBufferedBytes)} for the consumer; ` +
          `${formatBytes(Math.max(0, sample.sentBytes - sample.readBytes))} sent but not read; ` +
          `${sample.publishedId - sample.readId} events behind.`;
      }
    },
    [PRODUCTION_EVENTS.slowCut]: (data) => {
      const cut = data as SlowConsumerCut;
      if (!ours(cut, PRODUCTION_EVENTS.slowCut)) return;
      batch(() => {
        change((value) => ({ ...value, cut }));
        status.value =
          cut.action === 'sse-stream-cut'
            ? `At ${formatMs(cut.t)} the server cut the stream: its buffer for the consumer passed the cap.`
            : `At ${formatMs(cut.t)} the server closed the WebSocket with 1013 Try Again Later: its buffer passed the cap.`;
      });
    },
    [PRODUCTION_EVENTS.slowResumed]: (data) => {
      const resumed = data as SlowConsumerResumed;
      if (ours(resumed, PRODUCTION_EVENTS.slowResumed)) change((value) => ({ ...value, resumed }));
    },
    [PRODUCTION_EVENTS.slowDone]: (data) => {
      const done = data as SlowConsumerDone;
      if (!ours(done, PRODUCTION_EVENTS.slowDone)) return;
      current = undefined;
      held.done();
      feed.close();
      batch(() => {
        change((value) => ({ ...value, done }));
        phase.value = 'idle';
        status.value = done.aborted
          ? `The experiment stopped early: ${done.aborted}.`
          : done.cut
            ? run.value?.resumed
              ? 'Done: the server protected itself from the slow consumer, which then resumed from its cursor.'
              : 'Done: the server protected itself from the slow consumer; the run ended before the consumer came back.'
            : `Done: in ${formatMs(done.t)} the consumer kept up, and the server never held more than ${formatBytes(done.maxServerBufferedBytes)} for it.`;
      });
    },
  };

  async function start(): Promise<void> {
    if (phase.value !== 'idle' || !channel.value) return;
    batch(() => {
      phase.value = 'starting';
      error.value = null;
      status.value = 'Starting the firehose…';
    });
    current = undefined;
    early = [];
    try {
      await feed.follow(channel.value, handlers);
      const started = await client.startSlowConsumer({
        channel: channel.value,
        transport: transport.value,
        readBytesPerSecond: readBytesPerSecond.value,
      });
      held.hold(started.id);
      batch(() => {
        run.value = { started, samples: [] };
        phase.value = 'running';
        status.value = `The publisher floods ${started.firehose}; the consumer reads ${formatBytes(started.readBytesPerSecond)}/s.`;
      });
      current = started.id;
      for (const { type, data } of early.splice(0)) handlers[type]?.(data);
    } catch (failure) {
      feed.close();
      batch(() => {
        phase.value = 'idle';
        error.value = held.refused(failure);
        status.value = 'The experiment did not start.';
      });
    }
  }

  return {
    channel,
    transport,
    readBytesPerSecond,
    phase,
    run,
    status,
    error,
    retryAt: held.retryAt,
    start,
    leave: held.leave,
    dispose: () => feed.close(),
  };
}
