import { randomBytes } from 'node:crypto';
import {
  BROADCAST_EVENT_TYPE,
  HOST_EVENTS,
  LEARNER_EVENTS,
  type BroadcastRecord,
  type DemoBroadcast,
  type HostSnapshot,
  type HostWorkshop,
  type Membership,
  type PublicWorkshop,
  type WorkshopState,
} from '../../src/protocol/workshops.ts';
import type { Heartbeat } from '../../src/protocol/request-bodies.ts';
import { InMemoryEventBus, type EventBus } from '../events/event-bus.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import type { RequestOrigin } from '../http/request-origin.ts';
import type { VerifiedStore } from '../exercises/verified-store.ts';
import type { ProgressStore } from '../progress/progress-store.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { EventStreamOptions } from '../techniques/sse.ts';
import { SseStreamRegistry, type SseStream } from '../techniques/sse-streams.ts';
import { hashHostSecret, newHostSecret } from './host-secret.ts';
import { joinUrls } from './join-urls.ts';
import { LocalLearnerStreams } from './learner-streams.ts';
import type { WorkshopLiveState } from './live-state.ts';
import { MemberUpdates, type MemberChange } from './member-updates.ts';
import { MemoryLiveState } from './memory-live-state.ts';
import { seen, streamClosed, streamOpened } from './presence.ts';
import { PresenceSweep } from './presence-sweep.ts';
import { RedisLiveState } from './redis-live-state.ts';
import { resultsCsv } from './results-csv.ts';
import { assertNewcomerWelcome, assertNotClosed, hostChannel, learnersChannel } from './workshop-rules.ts';
import type { MemberRecord, WorkshopRecord, WorkshopStore } from './workshop-store.ts';
import { DEFAULT_WORKSHOP_TIMINGS, type WorkshopTimings } from './workshop-timings.ts';

/** How workshop streams are written (the SSE endpoint's settings). */
export interface WorkshopStreamSettings {
  heartbeatMs: number;
  retryMs: number;
  maxBufferedBytes: number;
}

export interface WorkshopHubOptions {
  store: WorkshopStore;
  /** Where members' synced progress is read from. */
  progress: Pick<ProgressStore, 'get'>;
  /** Where the exercises the server verified for members are read from. */
  verified: Pick<VerifiedStore, 'list'>;
  /** The app's bus: broadcasts go onto the demo channels there; with Redis, the workshop streams run on it too. */
  publicBus: EventBus;
  /**
   * With `REDIS_URL`: the live state (presence, lessons, demo channels,
   * broadcasts) is kept in Redis and the streams run on the shared bus, so
   * every instance serves every workshop. Without: all of it lives here.
   */
  redis?: RedisConnection;
  knownLessons: readonly string[];
  /** The address the server listens on (`HOST`), for the join links. */
  listenHost: string;
  streams: WorkshopStreamSettings;
  /** Aborted when the server starts draining: every workshop stream ends. */
  draining: AbortSignal;
  timings?: Partial<WorkshopTimings>;
  onError: (error: unknown) => void;
}

/**
 * Where a workshop stream is written: the route opens its response as an SSE
 * stream with the hub's options, and says when the connection closes. HTTP
 * stays in the route.
 */
export interface EventStreamSink {
  open(options: EventStreamOptions): SseStream | undefined;
  onClose(listener: () => void): void;
}

/** Broadcasts kept per workshop for the host's snapshot. */
const KEPT_BROADCASTS = 50;

/**
 * The workshops' rules, for whichever instance a request lands on. Durable
 * facts (workshops, members, names, "done", focus) are in the
 * {@link WorkshopStore}, read afresh by every request; presence, the lesson
 * being read, demo channels and broadcasts are the {@link WorkshopLiveState}'s
 * (Redis, or this process's memory).
 *
 * Streams: per workshop, `workshop:<id>:host` carries {@link HOST_EVENTS} and
 * `workshop:<id>:learners` carries {@link LEARNER_EVENTS}. A `:` makes them
 * names the public `/api/sse/{channel}` and `POST /api/channels/…/events`
 * refuse, so they may share the app's bus (with Redis, they must: that is
 * how they reach every instance). A `member` event goes out only when a
 * member's view really changed, once, by the update that changed it: so
 * heartbeats that change nothing cost the host nothing.
 */
export class WorkshopHub {
  readonly #options: WorkshopHubOptions;
  readonly #store: WorkshopStore;
  readonly #timings: WorkshopTimings;
  readonly #live: WorkshopLiveState;
  /** Where the workshop streams run. */
  readonly #bus: EventBus;
  readonly #streams = new SseStreamRegistry();
  readonly #learnerStreams: LocalLearnerStreams;
  readonly #sweep: PresenceSweep;
  readonly #members: MemberUpdates;
  #closed = false;

  constructor(options: WorkshopHubOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#timings = { ...DEFAULT_WORKSHOP_TIMINGS, ...options.timings };
    this.#live = options.redis ? new RedisLiveState({ redis: options.redis }) : new MemoryLiveState();
    this.#bus = options.redis ? options.publicBus : new InMemoryEventBus({ onListenerError: (error) => options.onError(error) });
    this.#learnerStreams = new LocalLearnerStreams(this.#bus);
    const { store, progress, verified } = options;
    this.#members = new MemberUpdates({ store, live: this.#live, bus: this.#bus, progress, verified, timings: this.#timings });
    options.draining.addEventListener('abort', () => this.#streams.all().forEach((stream) => stream.end()), {
      once: true,
    });
    this.#sweep = new PresenceSweep({
      live: this.#live,
      timings: this.#timings,
      learnerStreams: this.#learnerStreams,
      hostStreams: (workshop) => this.#streams.count(hostChannel(workshop)),
      refresh: (workshop, memberId) => this.#members.update(workshop, memberId),
      onError: (error) => this.#reportBackgroundError(error),
    });
  }

  get knownLessons(): readonly string[] {
    return this.#options.knownLessons;
  }

  /** Creates a workshop; the secret is returned once and only its hash is kept. */
  async create(title: string): Promise<{ workshop: WorkshopRecord; secret: string }> {
    const secret = newHostSecret();
    const workshop = await this.#store.create(title, hashHostSecret(secret), Date.now());
    this.#sweep.watch(workshop);
    return { workshop, secret };
  }

  /** The workshop with this (normalized, valid) code as the store has it now; this instance watches it from then on. */
  async find(code: string): Promise<WorkshopRecord | undefined> {
    const workshop = await this.#store.byCode(code);
    if (workshop) this.#sweep.watch(workshop);
    return workshop;
  }

  // #region views
  publicView({ code, title, state }: WorkshopRecord): PublicWorkshop {
    return { code, title, state };
  }

  /** The workshop as its host sees it, with join links built from where the host reached the server. */
  hostView(workshop: WorkshopRecord, origin: RequestOrigin): HostWorkshop {
    const { createdAt, focus, code } = workshop;
    return {
      ...this.publicView(workshop),
      createdAt,
      focus,
      joinUrls: joinUrls(code, origin, this.#options.listenHost),
    };
  }

  membership(workshop: WorkshopRecord, member: MemberRecord): Membership {
    const { id, name, joinedAt, doneAt } = member;
    return {
      workshop: { ...this.publicView(workshop), focus: workshop.focus },
      member: { id, name, joinedAt, doneAt },
    };
  }

  /**
   * The host's dashboard. The stream's cursor is read first, then the state:
   * what changed after the cursor is also in the stream, as whole views (a
   * row, the workshop, a broadcast the page already lists), so resuming from
   * the cursor replays what the snapshot holds harmlessly and misses nothing.
   */
  async snapshot(workshop: WorkshopRecord, origin: RequestOrigin): Promise<HostSnapshot> {
    const cursor = await this.#bus.latestId(hostChannel(workshop));
    const current = await this.#fresh(workshop);
    const [members, broadcasts] = await Promise.all([this.#members.views(current), this.#live.broadcasts(current.id)]);
    return { workshop: this.hostView(current, origin), members: members.map(({ view }) => view), broadcasts, cursor };
  }

  async resultsCsv(workshop: WorkshopRecord): Promise<string> {
    const members = await this.#members.views(workshop);
    return resultsCsv(
      members.map(({ view }) => view),
      this.#options.knownLessons,
    );
  }
  // #endregion views

  // #region learner
  /** The learner's membership, left or not; undefined if they never joined. */
  memberOf(workshop: WorkshopRecord, learnerId: string): Promise<MemberRecord | undefined> {
    return this.#store.findMember(workshop.id, learnerId);
  }

  /**
   * Joins `learnerId` as `name`, or renames and brings back a learner who
   * already joined (even if they left, even if the workshop is locked, even
   * through another instance).
   * @throws {HttpProblem} 409 closed, locked (for a newcomer), name taken (the store checks it across instances), full.
   */
  async join(workshop: WorkshopRecord, learnerId: string, name: string): Promise<{ member: MemberRecord; created: boolean }> {
    assertNotClosed(workshop);
    const existing = await this.#store.findMember(workshop.id, learnerId);
    if (existing) {
      const member = await this.#members.update(workshop, existing.id, {
        record: async (current) => {
          const back = { ...current, name, leftAt: null };
          await this.#store.saveMember(back);
          return back;
        },
        // Their progress was not followed while they were away: read it again.
        live: (live, now, before) => ({
          ...live,
          presence: seen(live.presence, now),
          progress: before.leftAt === null ? live.progress : null,
        }),
      });
      return { member, created: false };
    }
    assertNewcomerWelcome(workshop, (await this.#store.members(workshop.id)).length);
    const added = await this.#store.addMember(workshop.id, learnerId, name, Date.now());
    const member = await this.#members.update(workshop, added.id, {
      live: (live, now) => ({ ...live, presence: seen(live.presence, now) }),
    });
    return { member, created: true };
  }

  /** The member leaves: they stay in the grid and the CSV with `leftAt`; their streams end, on every instance. */
  async leave(workshop: WorkshopRecord, member: MemberRecord): Promise<void> {
    assertNotClosed(workshop);
    await this.#members.update(workshop, member.id, {
      record: async (current) => {
        const left = { ...current, leftAt: Date.now() };
        await this.#store.saveMember(left);
        return left;
      },
    });
  }

  /** What the learner's page reports: where they are and which demo channels it shows. */
  async heartbeat(workshop: WorkshopRecord, member: MemberRecord, { lesson, channels, streaming }: Required<Heartbeat>): Promise<void> {
    assertNotClosed(workshop);
    await this.#members.update(workshop, member.id, {
      live: (live, now) => ({ ...live, lesson, channels, presence: seen(live.presence, now, { streaming }) }),
    });
  }

  /** Raises (keeping the first time) or lowers "done with this step"; returns the member as stored now. */
  setDone(workshop: WorkshopRecord, member: MemberRecord, done: boolean): Promise<MemberRecord> {
    assertNotClosed(workshop);
    return this.#members.update(workshop, member.id, {
      record: async (current) => {
        const doneAt = done ? (current.doneAt ?? Date.now()) : null;
        if (doneAt === current.doneAt) return current;
        await this.#store.setDone(current.id, doneAt);
        return { ...current, doneAt };
      },
      live: (live, now) => ({ ...live, presence: seen(live.presence, now) }),
    });
  }

  /** The learner's SSE stream ({@link LEARNER_EVENTS}); while open, the member is present. */
  openLearnerStream(workshop: WorkshopRecord, member: MemberRecord, sink: EventStreamSink, lastEventId: string | undefined): void {
    assertNotClosed(workshop);
    const stream = sink.open(this.#streamOptions(learnersChannel(workshop), lastEventId));
    if (!stream) return;
    const lease = { id: randomBytes(9).toString('base64url'), expiresAt: Date.now() + this.#timings.presenceTtlMs };
    const forget = this.#learnerStreams.add(workshop.id, hostChannel(workshop), member.id, lease.id, stream);
    this.#updateInBackground(workshop, member.id, {
      live: (live, now) => ({ ...live, presence: streamOpened(live.presence, lease, now) }),
    });
    sink.onClose(() => {
      forget();
      this.#updateInBackground(workshop, member.id, {
        live: (live, now) => ({ ...live, presence: streamClosed(live.presence, lease.id, now) }),
      });
    });
  }
  // #endregion learner

  // #region host
  /** The host's SSE stream ({@link HOST_EVENTS}). */
  openHostStream(workshop: WorkshopRecord, sink: EventStreamSink, lastEventId: string | undefined): void {
    sink.open(this.#streamOptions(hostChannel(workshop), lastEventId));
  }

  /** Points everyone to `lesson` (a known slug) and lowers every "done". */
  goto(workshop: WorkshopRecord, lesson: string, origin: RequestOrigin): Promise<HostWorkshop> {
    return this.#live.exclusive(workshop.id, async () => {
      const current = await this.#fresh(workshop);
      assertNotClosed(current);
      const now = Date.now();
      const focus = { lesson, at: now };
      const raised = (await this.#store.members(current.id)).filter((member) => member.doneAt !== null);
      await this.#store.setFocus(current.id, focus, now);
      // The learners first: they move on while the hands are lowered, each a `member` event, before the host's `workshop`.
      await this.#bus.publish(learnersChannel(current), LEARNER_EVENTS.goto, focus);
      await Promise.all(raised.map((member) => this.#members.update(current, member.id)));
      const view = this.hostView({ ...current, focus }, origin);
      await this.#bus.publish(hostChannel(current), HOST_EVENTS.workshop, view);
      return view;
    });
  }

  /**
   * Publishes `text` on the public bus, onto every demo channel of the
   * members online now (each channel once), and records it.
   */
  async broadcast(workshop: WorkshopRecord, text: string): Promise<BroadcastRecord> {
    assertNotClosed(workshop);
    const channels = new Set<string>();
    let members = 0;
    for (const { view, live } of await this.#members.views(workshop)) {
      if (!view.online || live.channels.length === 0) continue;
      members += 1;
      live.channels.forEach((channel) => channels.add(channel));
    }
    const data: DemoBroadcast = { workshop: workshop.title, text };
    await Promise.all([...channels].map((channel) => this.#options.publicBus.publish(channel, BROADCAST_EVENT_TYPE, data)));
    const record: BroadcastRecord = { text, at: Date.now(), members, channels: channels.size };
    await this.#live.addBroadcast(workshop.id, record, KEPT_BROADCASTS);
    await this.#bus.publish(hostChannel(workshop), HOST_EVENTS.broadcast, record);
    return record;
  }

  /**
   * Locks, reopens or closes. Closing is final: the learners' streams end
   * (after the `state` event) on every instance, and nothing but the host's
   * reads work after.
   * @throws {HttpProblem} 409 `workshop-closed` to change a closed workshop.
   */
  setState(workshop: WorkshopRecord, state: WorkshopState, origin: RequestOrigin): Promise<HostWorkshop> {
    return this.#live.exclusive(workshop.id, async () => {
      const current = await this.#fresh(workshop);
      if (state === current.state) return this.hostView(current, origin);
      assertNotClosed(current);
      await this.#store.setState(current.id, state, Date.now());
      await this.#bus.publish(learnersChannel(current), LEARNER_EVENTS.state, { state });
      const view = this.hostView({ ...current, state }, origin);
      // On `closed`, each instance ends its learner streams when this event reaches it (LocalLearnerStreams).
      await this.#bus.publish(hostChannel(current), HOST_EVENTS.workshop, view);
      return view;
    });
  }
  // #endregion host

  /**
   * Told by the progress API after each save or reset of `learnerId`'s
   * progress, on whichever instance: each membership following the learner
   * reads it again (the store holds the merge of every save, whichever
   * instance made it).
   */
  progressSaved(learnerId: string): void {
    const followed = async () => {
      for (const { code, memberId } of await this.#live.membershipsOf(learnerId)) {
        const workshop = await this.#store.byCode(code);
        // A closed workshop's results are final.
        if (!workshop || workshop.state === 'closed') continue;
        // A member who left is no longer followed.
        await this.#members.update(workshop, memberId, {
          live: (live, _now, before) => (before.leftAt === null ? { ...live, progress: null } : live),
        });
      }
    };
    followed().catch((error: unknown) => this.#reportBackgroundError(error));
  }

  /** Workshop streams open here now (learners' and hosts'). */
  openStreams(): number {
    return this.#streams.count();
  }

  /** Workshops this instance watches now (the bench and tests read it). */
  loadedWorkshops(): number {
    return this.#sweep.size;
  }

  /** Stops the presence sweep and the lease renewals; draining ends the streams. */
  close(): void {
    this.#closed = true;
    this.#sweep.close();
  }

  /** The workshop as the store has it now (another instance may have changed its state or focus). */
  async #fresh(workshop: WorkshopRecord): Promise<WorkshopRecord> {
    return (await this.#store.byCode(workshop.code)) ?? workshop;
  }

  /** An update nobody waits for (a stream opening or closing): its failure is logged, not answered. */
  #updateInBackground(workshop: WorkshopRecord, memberId: string, change: MemberChange): void {
    this.#members.update(workshop, memberId, change).catch((error: unknown) => this.#reportBackgroundError(error));
  }

  #reportBackgroundError(error: unknown): void {
    // Redis out of reach is logged once by its connection; the next heartbeat brings presence up to date.
    // Closing, the streams' ends may find the store closed: their leases expire by themselves.
    if (!(error instanceof BackplaneUnavailableError) && !this.#closed) this.#options.onError(error);
  }

  /** How a workshop stream on `channel` is written: on the hub's bus, kept in its registry, ended by draining. */
  #streamOptions(channel: string, lastEventId: string | undefined): EventStreamOptions {
    return { bus: this.#bus, channel, lastEventId, streams: this.#streams, draining: this.#options.draining, ...this.#options.streams };
  }
}
