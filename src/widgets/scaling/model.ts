import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import type { InstanceAction, InstanceName, ScalingAvailability, ScalingDemoState } from '../../protocol/scaling.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { completeExercise } from '../shared/exercise-completion.ts';
import { ApiError, errorMessage } from '../shared/http.ts';
import type { ScalingClient } from './client.ts';
import { departedKeys, goneKeysAt, KnownNames, type GoneKey } from './presence-keys.ts';
import { ReaderStream, type FeedEntry, type StreamConnection } from './reader-stream.ts';

/**
 * Lesson 8's widget's state, with no DOM and no JSX, so node:test can drive
 * it with a fake client and mock timers. The server runs the two instances
 * and judges the exercise; this model starts and steers them, reads their
 * state every second while the page is visible, and keeps the reader's own
 * EventSource on the feed (reader-stream.ts).
 */

/** How often the demo's state (instances, streams, presence keys, exercise) is read while the page is visible. */
export const POLL_MS = 1_000;

/** The lesson's exercise, checked by the server. */

export type DemoPhase = 'idle' | 'starting' | 'running' | 'stopped';

export interface ScalingModelOptions {
  /** Called once, when the server first reports the exercise passed. */
  onExerciseComplete?: () => void;
}

export interface ScalingModel {
  /** The reader's channel; set by the view after mount. */
  readonly channel: Signal<string | null>;
  readonly availability: ReadonlySignal<ScalingAvailability | null>;
  /** The reader's choice for the next start: a shared Redis, or none. */
  readonly backplane: Signal<boolean>;
  /** What "Publish" sends. */
  readonly noteText: Signal<string>;
  /** The instance the reader's stream is pinned to. */
  readonly pinned: ReadonlySignal<InstanceName>;
  readonly phase: ReadonlySignal<DemoPhase>;
  /** The demo as last read, and when (this page's clock). */
  readonly demo: ReadonlySignal<ScalingDemoState | null>;
  readonly readAt: ReadonlySignal<number>;
  /** What is being done now ("kill b"), if anything. */
  readonly busy: ReadonlySignal<string | null>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  readonly connection: ReadonlySignal<StreamConnection>;
  readonly feed: ReadonlySignal<readonly FeedEntry[]>;
  /** Keys that left the index lately, newest first. */
  readonly gone: ReadonlySignal<readonly GoneKey[]>;
  /** The stream serving the reader now, as the server saw it: on which instance, with which Last-Event-ID. */
  readonly servedBy: ReadonlySignal<{ instance: InstanceName; lastEventId: string | null } | null>;
  readonly exerciseDone: ReadonlySignal<boolean>;

  /** Reads whether the backplane can run here, and picks up a demo this tab already runs (after a reload). */
  load(): Promise<void>;
  /** Starts (or restarts) the pair with the chosen backplane, then opens the reader's stream. */
  start(): Promise<void>;
  stop(): Promise<void>;
  act(instance: InstanceName, action: InstanceAction): Promise<void>;
  publish(on: InstanceName): Promise<void>;
  /** Pins the reader's stream to `instance` (a new stream, resuming from the last id seen). */
  pin(instance: InstanceName): void;
  /** The page's visibility: polling stops while it is hidden. */
  setVisible(visible: boolean): void;
  dispose(): void;
}

const ACTION_DONE: Record<InstanceAction, (name: string) => string> = {
  kill: (name) => `Killed ${name} with SIGKILL: no goodbye, no drain. Its streams broke; its members’ keys are no longer renewed.`,
  restart: (name) => `${name} is running again: a new process on a new port, with nothing in memory.`,
  pause: (name) => `Paused ${name} with SIGSTOP: it holds its sockets but runs nothing, so it renews no presence key.`,
  resume: (name) => `${name} runs again (SIGCONT): its overdue timers fire, and it renews its members.`,
};

/** Creates the model. Opens nothing by itself: `load()` reads, `start()` starts. */
export function createScalingModel(client: ScalingClient, clock: Clock = systemClock, options: ScalingModelOptions = {}): ScalingModel {
  return new ScalingDemoModel(client, clock, options);
}

class ScalingDemoModel implements ScalingModel {
  readonly channel = signal<string | null>(null);
  readonly availability = signal<ScalingAvailability | null>(null);
  readonly backplane = signal(true);
  readonly noteText = signal('hello');
  readonly pinned = signal<InstanceName>('b');
  readonly phase = signal<DemoPhase>('idle');
  readonly demo = signal<ScalingDemoState | null>(null);
  readonly readAt = signal(0);
  readonly busy = signal<string | null>(null);
  readonly status = signal('');
  readonly error = signal<string | null>(null);
  readonly gone = signal<readonly GoneKey[]>([]);
  readonly exerciseDone = signal(false);
  readonly servedBy = computed(() => {
    const open = this.demo.value?.streams.filter((stream) => stream.end === 'open').at(-1);
    return open ? { instance: open.instance, lastEventId: open.lastEventId } : null;
  });
  readonly connection: ReadonlySignal<StreamConnection>;
  readonly feed: ReadonlySignal<readonly FeedEntry[]>;

  readonly #client: ScalingClient;
  readonly #clock: Clock;
  readonly #options: ScalingModelOptions;
  readonly #stream: ReaderStream;
  readonly #names = new KnownNames();
  #pollTimer: unknown = null;
  #visible = true;
  #disposed = false;

  constructor(client: ScalingClient, clock: Clock, options: ScalingModelOptions) {
    this.#client = client;
    this.#clock = clock;
    this.#options = options;
    this.#stream = new ReaderStream({
      client,
      clock,
      channel: () => this.channel.peek(),
      pinned: () => this.pinned.peek(),
      running: () => !this.#disposed && this.phase.peek() === 'running',
      backplaneOn: () => this.demo.peek()?.backplane ?? false,
      onError: (message) => {
        this.error.value = message;
      },
    });
    this.connection = this.#stream.connection;
    this.feed = this.#stream.feed;
  }

  async load(): Promise<void> {
    const ch = this.channel.peek();
    if (!ch) return;
    try {
      const found = await this.#client.availability();
      batch(() => {
        this.availability.value = found;
        if (!found.backplane.available) this.backplane.value = false;
      });
    } catch (failure) {
      this.error.value = errorMessage(failure);
      return;
    }
    try {
      const running = await this.#client.state(ch);
      if (this.#disposed) return;
      batch(() => {
        this.phase.value = 'running';
        this.backplane.value = running.backplane;
        this.status.value = 'Your two instances are still running from before.';
      });
      this.#adopt(running);
      this.#stream.open();
      this.#schedulePoll();
    } catch (failure) {
      if (!(failure instanceof ApiError && failure.status === 404)) this.error.value = errorMessage(failure);
    }
  }

  start(): Promise<void> {
    return this.#run('start', async (ch) => {
      const withRedis = this.backplane.peek();
      this.#stream.reset();
      batch(() => {
        this.gone.value = [];
        this.phase.value = 'starting';
        this.demo.value = null;
        this.status.value = withRedis
          ? 'Starting instances A and B, both on one Redis…'
          : 'Starting instances A and B, each with its own in-memory bus…';
      });
      try {
        const started = await this.#client.start(ch, { backplane: withRedis });
        if (this.#disposed) return;
        batch(() => {
          this.phase.value = 'running';
          this.status.value = `A and B are running (two processes), ${started.backplane ? 'sharing one Redis' : 'sharing nothing'}. Your stream is pinned to ${this.pinned.peek().toUpperCase()}.`;
        });
        this.#adopt(started);
        this.#stream.open();
        this.#schedulePoll();
      } catch (failure) {
        this.phase.value = 'idle';
        this.status.value = '';
        throw failure;
      }
    });
  }

  stop(): Promise<void> {
    return this.#run('stop', async (ch) => {
      await this.#client.stop(ch);
      this.#ended('Stopped: both processes are gone.');
    });
  }

  act(instance: InstanceName, action: InstanceAction): Promise<void> {
    return this.#run(`${action} ${instance}`, async (ch) => {
      this.#adopt(await this.#client.act(ch, instance, action));
      this.status.value = ACTION_DONE[action](instance.toUpperCase());
    });
  }

  publish(on: InstanceName): Promise<void> {
    return this.#run(`publish ${on}`, async (ch) => {
      const text = this.noteText.peek().trim() || 'hello';
      const published = await this.#client.publish(ch, on, text);
      this.status.value = `Published note #${published.id} on ${on.toUpperCase()}.`;
    });
  }

  pin(instance: InstanceName): void {
    if (this.pinned.peek() === instance) return;
    this.pinned.value = instance;
    if (this.phase.peek() !== 'running') return;
    this.#stream.repin();
    const from = this.#stream.lastDelivered;
    this.status.value = `Your stream is pinned to ${instance.toUpperCase()} now: a new EventSource, resuming after ${from ? `id ${from}` : 'nothing yet'}.`;
  }

  setVisible(visible: boolean): void {
    this.#visible = visible;
    if (visible) this.#schedulePoll(0);
    else this.#stopPolling();
  }

  dispose(): void {
    this.#disposed = true;
    this.#stream.close();
    this.#stopPolling();
  }

  #adopt(next: ScalingDemoState): void {
    const now = this.#clock.now();
    this.#names.fill(next.presence.keys ?? []);
    batch(() => {
      const departed = departedKeys(this.demo.peek()?.presence.keys ?? null, next.presence.keys, now);
      this.gone.value = goneKeysAt(departed, this.gone.peek(), now);
      this.demo.value = next;
      this.readAt.value = now;
    });
    if (next.exercise.passed) completeExercise(this.exerciseDone, this.#options.onExerciseComplete);
  }

  #schedulePoll(delayMs = POLL_MS): void {
    this.#stopPolling();
    if (this.#disposed || !this.#visible || this.phase.peek() !== 'running') return;
    this.#pollTimer = this.#clock.setTimeout(() => void this.#poll(), delayMs);
  }

  #stopPolling(): void {
    this.#clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = null;
  }

  async #poll(): Promise<void> {
    this.#pollTimer = null;
    const ch = this.channel.peek();
    if (!ch || this.phase.peek() !== 'running') return;
    try {
      const next = await this.#client.state(ch);
      if (this.phase.peek() !== 'running' || this.#disposed) return;
      this.#adopt(next);
      if (this.error.peek()?.startsWith('Could not read the demo')) this.error.value = null;
      this.#schedulePoll();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) {
        this.#ended('The two instances were stopped: nobody looked at them for a while, or the server restarted. Start them again.');
        return;
      }
      this.error.value = `Could not read the demo: ${errorMessage(failure)}`;
      this.#schedulePoll(POLL_MS * 3);
    }
  }

  #ended(message: string): void {
    batch(() => {
      this.#stream.end();
      this.phase.value = 'stopped';
      this.status.value = message;
    });
    this.#stopPolling();
  }

  /** One action at a time (the buttons say which runs); a 404 means the demo was stopped meanwhile. */
  async #run(label: string, task: (channel: string) => Promise<void>): Promise<void> {
    if (this.busy.peek() !== null) return;
    batch(() => {
      this.busy.value = label;
      this.error.value = null;
    });
    try {
      const ch = this.channel.peek();
      if (ch) await task(ch);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404 && this.phase.peek() === 'running') {
        this.#ended('The two instances were stopped meanwhile. Start them again.');
      } else {
        this.error.value = errorMessage(failure);
      }
    } finally {
      this.busy.value = null;
    }
  }
}
