import {
  SCALING_LIMITS,
  type InstanceName,
  type ObservedPublish,
  type ObservedStream,
  type ScalingExercise,
  type StreamEnd,
} from '../../src/protocol/scaling.ts';

/** What the demo tells the record about one stream it forwards. */
export interface StreamRecorder {
  /** An event the instance sent on it (its `id:`). */
  event(id: number): void;
  /** The `reset` the instance sent instead of a replay. */
  reset(reason: string, latestId: number): void;
  closed(end: Exclude<StreamEnd, 'open'>): void;
}

/** Bounds of the record; tests shrink them. */
export interface DemoRecordLimits {
  maxObserved: number;
  maxIdsPerStream: number;
}

/**
 * What lesson 8's demo saw pass through its proxy — the notes published on
 * each instance, the streams each instance served and the ids it sent on
 * them, the kills — and the exercise judged from it, not from what the page
 * says: a note published on one instance reaches a stream of the other;
 * then the instance under a stream is killed, and the stream comes back on
 * the other instance with `Last-Event-ID` and every id after it, none
 * missing, none twice.
 */
export class DemoRecord {
  readonly #backplane: boolean;
  readonly #now: () => number;
  readonly #limits: DemoRecordLimits;
  readonly #streams: ObservedStream[] = [];
  readonly #publishes: ObservedPublish[] = [];
  #streamCount = 0;
  #cross: ScalingExercise['crossDelivery'] = null;
  #kill: ScalingExercise['killUnderStream'] = null;
  #resumed: NonNullable<ScalingExercise['resumed']> | null = null;
  /** The stream judged as the resume, and the id it must send next. */
  #resumeStream: ObservedStream | undefined;
  #expected = 0;
  #passedAt: number | null = null;

  /** `onPassed` is told once, when the exercise passes. */
  readonly #onPassed: () => void;

  constructor(
    backplane: boolean,
    now: () => number = Date.now,
    limits: DemoRecordLimits = SCALING_LIMITS,
    onPassed: () => void = () => {},
  ) {
    this.#backplane = backplane;
    this.#now = now;
    this.#limits = limits;
    this.#onPassed = onPassed;
  }

  get streams(): ObservedStream[] {
    return this.#streams.map((stream) => ({ ...stream, ids: [...stream.ids] }));
  }

  get publishes(): ObservedPublish[] {
    return [...this.#publishes];
  }

  /** The streams open on `instance` now. */
  openOn(instance: InstanceName): number {
    return this.#streams.filter((stream) => stream.end === 'open' && stream.instance === instance).length;
  }

  /** A `201` for a note published on `on`, with its id. */
  published(on: InstanceName, id: number): void {
    this.#publishes.push({ id, on, at: this.#now() });
    if (this.#publishes.length > this.#limits.maxObserved) this.#publishes.shift();
    // The stream on the other instance may have delivered it before the 201 came back.
    for (const stream of this.#streams) {
      if (stream.ids.includes(id)) this.#checkCross(stream, id);
    }
  }

  /** A stream the demo starts forwarding, served by `instance` (the page asked for `pinned`). */
  streamOpened(instance: InstanceName, pinned: InstanceName, lastEventId: string | null): StreamRecorder {
    this.#streamCount += 1;
    const stream: ObservedStream = {
      n: this.#streamCount,
      instance,
      pinned,
      lastEventId,
      openedAt: this.#now(),
      closedAt: null,
      end: 'open',
      ids: [],
      events: 0,
      reset: null,
    };
    this.#streams.push(stream);
    this.#trimStreams();
    if (this.#kill && !this.#resumed && instance !== this.#kill.instance && lastEventId !== null) {
      this.#resumeStream = stream;
      const cursor = /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : NaN;
      this.#expected = cursor + 1;
      this.#resumed = { on: instance, lastEventId, firstId: null, replayed: 0, gapless: !Number.isNaN(cursor) };
    }
    return {
      event: (id) => {
        stream.events += 1;
        stream.ids.push(id);
        if (stream.ids.length > this.#limits.maxIdsPerStream) stream.ids.shift();
        this.#checkCross(stream, id);
        if (stream === this.#resumeStream) this.#checkResume(stream, id);
      },
      reset: (reason, latestId) => {
        stream.reset = { reason, latestId };
        if (stream === this.#resumeStream && this.#resumed) this.#resumed.gapless = false;
      },
      closed: (end) => {
        if (stream.end !== 'open') return;
        stream.end = end;
        stream.closedAt = this.#now();
      },
    };
  }

  /** Called just before `instance` is killed (its streams are still open). */
  killing(instance: InstanceName): void {
    if (!this.#cross || this.#passedAt !== null) return;
    const open = this.#streams.filter((stream) => stream.end === 'open' && stream.instance === instance);
    if (open.length === 0) return;
    const last = open.at(-1)!;
    // Each kill under a stream starts the resume part of the exercise over.
    this.#kill = { instance, lastId: last.ids.at(-1) ?? null, at: this.#now() };
    this.#resumed = null;
    this.#resumeStream = undefined;
  }

  exercise(): ScalingExercise {
    return {
      backplane: this.#backplane,
      crossDelivery: this.#cross,
      killUnderStream: this.#kill,
      resumed: this.#resumed ? { ...this.#resumed } : null,
      passed: this.#passedAt !== null,
      passedAt: this.#passedAt,
    };
  }

  #checkCross(stream: ObservedStream, id: number): void {
    if (!this.#backplane || this.#cross) return;
    const publish = this.#publishes.find((candidate) => candidate.id === id && candidate.on !== stream.instance);
    if (publish) this.#cross = { id, publishedOn: publish.on, deliveredOn: stream.instance };
  }

  #checkResume(stream: ObservedStream, id: number): void {
    const resumed = this.#resumed!;
    resumed.firstId ??= id;
    if (id !== this.#expected) resumed.gapless = false;
    this.#expected = id + 1;
    const publish = this.#publishes.find((candidate) => candidate.id === id);
    if (publish && publish.at < stream.openedAt) resumed.replayed += 1;
    if (this.#backplane && resumed.gapless && this.#passedAt === null) {
      this.#passedAt = this.#now();
      this.#onPassed();
    }
  }

  #trimStreams(): void {
    while (this.#streams.length > this.#limits.maxObserved) {
      const closed = this.#streams.findIndex((stream) => stream.end !== 'open');
      this.#streams.splice(Math.max(closed, 0), 1);
    }
  }
}
