import { type IncomingMessage, type ServerResponse } from 'node:http';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { type Progress } from '../../src/protocol/progress.ts';
import {
  BROADCAST_EVENT_TYPE,
  HOST_EVENTS,
  LEARNER_EVENTS,
  WORKSHOP_LIMITS,
  WORKSHOP_TIMINGS,
  type BroadcastRecord,
  type DemoBroadcast,
  type Heartbeat,
  type HostSnapshot,
  type HostWorkshop,
  type MemberView,
  type Membership,
  type PublicWorkshop,
  type WorkshopState,
} from '../../src/protocol/workshops.ts';
import { ChannelLog } from '../events/channel-log.ts';
import { InMemoryEventBus, type EventBus } from '../events/event-bus.ts';
import { HttpProblem } from '../http/problem.ts';
import { type ProgressStore } from '../progress/progress-store.ts';
import { streamEvents } from '../techniques/sse.ts';
import { SseStreamRegistry, type SseStream } from '../techniques/sse-streams.ts';
import { hashHostSecret, newHostSecret } from './host-secret.ts';
import { joinUrls } from './join-urls.ts';
import { Presence, type PresenceTimings } from './presence.ts';
import { NO_PROGRESS, summarizeProgress, type ProgressSummary } from './progress-summary.ts';
import { resultsCsv } from './results-csv.ts';
import { nameKey } from './display-text.ts';
import { SerialQueue } from './serial-queue.ts';
import { NameTaken, type MemberRecord, type WorkshopRecord, type WorkshopStore } from './workshop-store.ts';

/** Presence timings and the sweep that applies them; tests shrink them. */
export interface WorkshopTimings extends PresenceTimings {
  /** How often presence is re-evaluated, so a member who went quiet turns offline on the host's grid. */
  sweepMs: number;
  /** A loaded workshop with nobody online and no stream open for this long leaves memory (the store keeps it). */
  unloadAfterMs: number;
}

export const DEFAULT_WORKSHOP_TIMINGS: WorkshopTimings = {
  presenceTtlMs: WORKSHOP_TIMINGS.presenceTtlMs,
  streamGraceMs: WORKSHOP_TIMINGS.streamGraceMs,
  sweepMs: 2_000,
  unloadAfterMs: 10 * 60_000,
};

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
  /** The app's bus: broadcasts go onto the demo channels there. */
  publicBus: EventBus;
  knownLessons: readonly string[];
  /** The address the server listens on (`HOST`), for the join links. */
  listenHost: string;
  streams: WorkshopStreamSettings;
  /** Aborted when the server starts draining: every workshop stream ends. */
  draining: AbortSignal;
  timings?: Partial<WorkshopTimings>;
  onError: (error: unknown) => void;
}

/** One member while their workshop is in memory. */
export interface LiveMember {
  record: MemberRecord;
  /** The code of their workshop. */
  workshopCode: string;
  presence: Presence;
  /** The lesson their page reads (last heartbeat), or null. */
  lesson: string | null;
  /** Their pages' demo channels (last heartbeat): where broadcasts go. */
  channels: string[];
  progress: ProgressSummary;
  /** Their open learner streams, ended when they leave or the workshop closes. */
  streams: Set<SseStream>;
  /** The last view sent to the host, without `lastSeenAt` (which alone is no news). */
  sentKey: string;
  sentOnline: boolean;
}

/** One workshop in memory: loaded from the store on first use, then kept. */
export interface LiveWorkshop {
  record: WorkshopRecord;
  /** Every member who ever joined, by public id, in join order. */
  members: Map<string, LiveMember>;
  byLearner: Map<string, LiveMember>;
  /** The newest broadcasts, oldest first. */
  broadcasts: BroadcastRecord[];
  /** Since when nobody has been online and no stream open (undefined while someone is). */
  idleSince?: number;
  /** The changes that write to the store (join, leave, done, goto, state), one at a time. */
  writes: SerialQueue;
}

/** Broadcasts kept per workshop for the host's snapshot. */
const KEPT_BROADCASTS = 50;

/**
 * The workshops' rules and live state. Durable facts (workshops, members,
 * names, "done", focus) are in the {@link WorkshopStore}; presence, the
 * lesson being read, demo channels and broadcasts live here only.
 *
 * Streams run on a private {@link InMemoryEventBus}: the public
 * `/api/sse/{channel}` and `POST /api/channels/…/events` cannot reach a
 * workshop's channels. Per workshop, `host:<id>` carries {@link HOST_EVENTS}
 * and `learners:<id>` carries {@link LEARNER_EVENTS}. A `member` event goes
 * out only when a member's view really changed, so heartbeats that change
 * nothing cost the host nothing.
 */
export class WorkshopHub {
  readonly #options: WorkshopHubOptions;
  readonly #timings: WorkshopTimings;
  readonly #bus: InMemoryEventBus;
  /** The private bus's log, read synchronously for a snapshot's cursor. */
  readonly #log = new ChannelLog();
  readonly #streams = new SseStreamRegistry();
  readonly #byCode = new Map<string, LiveWorkshop>();
  /** Workshops being read from the store, so two requests at once load one copy. */
  readonly #loading = new Map<string, Promise<LiveWorkshop | undefined>>();
  /** Learner id → their members in loaded workshops, so a progress save finds them. */
  readonly #byLearner = new Map<string, Set<LiveMember>>();
  readonly #sweep: NodeJS.Timeout;

  constructor(options: WorkshopHubOptions) {
    this.#options = options;
    this.#timings = { ...DEFAULT_WORKSHOP_TIMINGS, ...options.timings };
    this.#bus = new InMemoryEventBus({ log: this.#log, onListenerError: (error) => options.onError(error) });
    options.draining.addEventListener('abort', () => this.#streams.all().forEach((stream) => stream.end()), {
      once: true,
    });
    this.#sweep = setInterval(() => this.#sweepPresence(), this.#timings.sweepMs);
    // Presence is bookkeeping: it must not keep a process alive that has nothing else to do.
    this.#sweep.unref();
  }

  get knownLessons(): readonly string[] {
    return this.#options.knownLessons;
  }

  /** Creates a workshop; the secret is returned once and only its hash is kept. */
  async create(title: string): Promise<{ workshop: LiveWorkshop; secret: string }> {
    const secret = newHostSecret();
    const record = await this.#options.store.create(title, hashHostSecret(secret), Date.now());
    return { workshop: (await this.find(record.code))!, secret };
  }

  /** The workshop with this (normalized, valid) code, loaded into memory on first use. */
  async find(code: string): Promise<LiveWorkshop | undefined> {
    const loaded = this.#byCode.get(code);
    if (loaded) return loaded;
    let loading = this.#loading.get(code);
    if (!loading) {
      loading = this.#load(code).finally(() => this.#loading.delete(code));
      this.#loading.set(code, loading);
    }
    return loading;
  }

  async #load(code: string): Promise<LiveWorkshop | undefined> {
    const record = await this.#options.store.byCode(code);
    if (!record) return undefined;
    const members = await this.#options.store.members(record.id);
    const progress = await Promise.all(members.map((member) => this.#readProgress(member.learnerId)));
    const workshop: LiveWorkshop = {
      record,
      members: new Map(),
      byLearner: new Map(),
      broadcasts: [],
      writes: new SerialQueue(),
    };
    members.forEach((member, index) => {
      this.#addLive(workshop, member, Presence.restored(member.leftAt ?? member.joinedAt), progress[index]!);
    });
    this.#byCode.set(code, workshop);
    return workshop;
  }

  // #region views
  publicView(workshop: LiveWorkshop): PublicWorkshop {
    const { code, title, state } = workshop.record;
    return { code, title, state };
  }

  hostView(workshop: LiveWorkshop, request: IncomingMessage): HostWorkshop {
    const { createdAt, focus, code } = workshop.record;
    return {
      ...this.publicView(workshop),
      createdAt,
      focus,
      joinUrls: joinUrls(code, request, this.#options.listenHost),
    };
  }

  membership(workshop: LiveWorkshop, member: LiveMember): Membership {
    const { id, name, joinedAt, doneAt } = member.record;
    return {
      workshop: { ...this.publicView(workshop), focus: workshop.record.focus },
      member: { id, name, joinedAt, doneAt },
    };
  }

  memberView(member: LiveMember, now = Date.now()): MemberView {
    const { id, name, joinedAt, leftAt, doneAt } = member.record;
    return {
      id,
      name,
      joinedAt,
      leftAt,
      online: leftAt === null && member.presence.online(now, this.#timings),
      lastSeenAt: member.presence.lastSeenAt,
      lesson: leftAt === null ? member.lesson : null,
      completed: member.progress.completed,
      quiz: member.progress.quiz,
      doneAt,
    };
  }

  /** The host's dashboard: the stream's cursor is read in the same tick as the members, so resuming from it misses nothing. */
  snapshot(workshop: LiveWorkshop, request: IncomingMessage): HostSnapshot {
    const now = Date.now();
    return {
      workshop: this.hostView(workshop, request),
      members: [...workshop.members.values()].map((member) => this.memberView(member, now)),
      broadcasts: [...workshop.broadcasts],
      cursor: this.#log.latestId(hostChannel(workshop)),
    };
  }

  resultsCsv(workshop: LiveWorkshop): string {
    const now = Date.now();
    const members = [...workshop.members.values()].map((member) => this.memberView(member, now));
    return resultsCsv(members, this.#options.knownLessons);
  }
  // #endregion views

  // #region learner
  /** The learner's membership, left or not; undefined if they never joined. */
  memberOf(workshop: LiveWorkshop, learnerId: string): LiveMember | undefined {
    return workshop.byLearner.get(learnerId);
  }

  /**
   * Joins `learnerId` as `name`, or renames and brings back a learner who
   * already joined (even if they left, even if the workshop is locked).
   * @throws {HttpProblem} 409 closed, locked (for a newcomer), name taken
   *   (here, or through another instance: the store checks too), full.
   */
  join(workshop: LiveWorkshop, learnerId: string, name: string): Promise<{ member: LiveMember; created: boolean }> {
    return workshop.writes.run(async () => {
      assertNotClosed(workshop);
      const existing = workshop.byLearner.get(learnerId);
      if (!existing && workshop.record.state === 'locked') {
        throw new HttpProblem({
          status: 409,
          type: PROBLEM_TYPES.workshopLocked,
          detail: `The workshop "${workshop.record.title}" is locked: nobody new can join. Ask the host to reopen it.`,
        });
      }
      const key = nameKey(name);
      for (const other of workshop.members.values()) {
        if (other !== existing && other.record.leftAt === null && nameKey(other.record.name) === key) {
          throw new NameTaken(other.record.name);
        }
      }
      const now = Date.now();
      if (existing) {
        const rejoining = existing.record.leftAt !== null;
        await this.#options.store.saveMember({ ...existing.record, name, leftAt: null });
        existing.record.name = name;
        existing.record.leftAt = null;
        // Their progress was not followed while they were away.
        if (rejoining) existing.progress = await this.#readProgress(learnerId);
        existing.presence.seen(now);
        this.#emitIfChanged(workshop, existing);
        return { member: existing, created: false };
      }
      if (workshop.members.size >= WORKSHOP_LIMITS.maxMembers) {
        throw new HttpProblem({
          status: 409,
          type: PROBLEM_TYPES.workshopFull,
          detail: `The workshop already has ${WORKSHOP_LIMITS.maxMembers} members, as many as it may.`,
        });
      }
      const record = await this.#options.store.addMember(workshop.record.id, learnerId, name, now);
      const member = this.#addLive(workshop, record, new Presence(now), await this.#readProgress(learnerId));
      this.#publishMember(workshop, member);
      return { member, created: true };
    });
  }

  /** The member leaves: they stay in the grid and the CSV with `leftAt`; their streams end. */
  leave(workshop: LiveWorkshop, member: LiveMember): Promise<void> {
    return workshop.writes.run(async () => {
      assertNotClosed(workshop);
      const leftAt = Date.now();
      await this.#options.store.saveMember({ ...member.record, leftAt });
      member.record.leftAt = leftAt;
      for (const stream of [...member.streams]) stream.end();
      this.#emitIfChanged(workshop, member);
    });
  }

  /** What the learner's page reports: where they are and which demo channels it shows. */
  heartbeat(workshop: LiveWorkshop, member: LiveMember, { lesson, channels, streaming }: Required<Heartbeat>): void {
    assertNotClosed(workshop);
    member.lesson = lesson;
    member.channels = channels;
    member.presence.seen(Date.now(), { streaming });
    this.#emitIfChanged(workshop, member);
  }

  /** Raises (keeping the first time) or lowers "done with this step". */
  setDone(workshop: LiveWorkshop, member: LiveMember, done: boolean): Promise<void> {
    return workshop.writes.run(async () => {
      assertNotClosed(workshop);
      const doneAt = done ? (member.record.doneAt ?? Date.now()) : null;
      if (doneAt !== member.record.doneAt) {
        await this.#options.store.saveMember({ ...member.record, doneAt });
        member.record.doneAt = doneAt;
      }
      member.presence.seen(Date.now());
      this.#emitIfChanged(workshop, member);
    });
  }

  /** The learner's SSE stream ({@link LEARNER_EVENTS}); while open, the member is present. */
  openLearnerStream(
    workshop: LiveWorkshop,
    member: LiveMember,
    http: { request: IncomingMessage; response: ServerResponse },
    lastEventId: string | undefined,
  ): void {
    assertNotClosed(workshop);
    const stream = this.#openStream(learnersChannel(workshop), http, lastEventId);
    if (!stream) return;
    member.streams.add(stream);
    member.presence.streamOpened(Date.now());
    this.#emitIfChanged(workshop, member);
    http.response.once('close', () => {
      member.streams.delete(stream);
      member.presence.streamClosed(Date.now());
      this.#emitIfChanged(workshop, member);
    });
  }
  // #endregion learner

  // #region host
  /** The host's SSE stream ({@link HOST_EVENTS}). */
  openHostStream(
    workshop: LiveWorkshop,
    http: { request: IncomingMessage; response: ServerResponse },
    lastEventId: string | undefined,
  ): void {
    this.#openStream(hostChannel(workshop), http, lastEventId);
  }

  /** Points everyone to `lesson` (a known slug) and lowers every "done". */
  goto(workshop: LiveWorkshop, lesson: string, request: IncomingMessage): Promise<HostWorkshop> {
    return workshop.writes.run(async () => {
      assertNotClosed(workshop);
      const now = Date.now();
      const focus = { lesson, at: now };
      await this.#options.store.setFocus(workshop.record.id, focus, now);
      workshop.record.focus = focus;
      for (const member of workshop.members.values()) {
        if (member.record.doneAt === null) continue;
        member.record.doneAt = null;
        this.#emitIfChanged(workshop, member);
      }
      this.#publish(learnersChannel(workshop), LEARNER_EVENTS.goto, focus);
      const view = this.hostView(workshop, request);
      this.#publish(hostChannel(workshop), HOST_EVENTS.workshop, view);
      return view;
    });
  }

  /**
   * Publishes `text` on the public bus, onto every demo channel of the
   * members online now (each channel once), and records it.
   */
  async broadcast(workshop: LiveWorkshop, text: string): Promise<BroadcastRecord> {
    assertNotClosed(workshop);
    const now = Date.now();
    const channels = new Set<string>();
    let members = 0;
    for (const member of workshop.members.values()) {
      const view = this.memberView(member, now);
      if (!view.online || member.channels.length === 0) continue;
      members += 1;
      member.channels.forEach((channel) => channels.add(channel));
    }
    const data: DemoBroadcast = { workshop: workshop.record.title, text };
    await Promise.all(
      [...channels].map((channel) => this.#options.publicBus.publish(channel, BROADCAST_EVENT_TYPE, data)),
    );
    const record: BroadcastRecord = { text, at: now, members, channels: channels.size };
    workshop.broadcasts.push(record);
    if (workshop.broadcasts.length > KEPT_BROADCASTS) workshop.broadcasts.shift();
    this.#publish(hostChannel(workshop), HOST_EVENTS.broadcast, record);
    return record;
  }

  /**
   * Locks, reopens or closes. Closing is final: the learners' streams end
   * (after the `state` event), and nothing but the host's reads work after.
   * @throws {HttpProblem} 409 `workshop-closed` to change a closed workshop.
   */
  setState(workshop: LiveWorkshop, state: WorkshopState, request: IncomingMessage): Promise<HostWorkshop> {
    return workshop.writes.run(async () => {
      if (state === workshop.record.state) return this.hostView(workshop, request);
      assertNotClosed(workshop);
      await this.#options.store.setState(workshop.record.id, state, Date.now());
      workshop.record.state = state;
      this.#publish(learnersChannel(workshop), LEARNER_EVENTS.state, { state });
      const view = this.hostView(workshop, request);
      this.#publish(hostChannel(workshop), HOST_EVENTS.workshop, view);
      if (state === 'closed') {
        for (const member of workshop.members.values()) for (const stream of [...member.streams]) stream.end();
      }
      return view;
    });
  }
  // #endregion host

  /** Told by the progress API after each save or reset of `learnerId`'s progress. */
  progressSaved(learnerId: string, progress: Progress): void {
    for (const member of this.#byLearner.get(learnerId) ?? []) {
      const workshop = this.#byCode.get(member.workshopCode);
      // A closed workshop's results are final; a member who left is no longer followed.
      if (!workshop || workshop.record.state === 'closed' || member.record.leftAt !== null) continue;
      member.progress = summarizeProgress(progress);
      this.#emitIfChanged(workshop, member);
    }
  }

  /** Workshop streams open now (learners' and hosts'). */
  openStreams(): number {
    return this.#streams.count();
  }

  /** Stops the presence sweep; draining ends the streams. */
  close(): void {
    clearInterval(this.#sweep);
  }

  #addLive(workshop: LiveWorkshop, record: MemberRecord, presence: Presence, progress: ProgressSummary): LiveMember {
    const member: LiveMember = {
      record,
      presence,
      lesson: null,
      channels: [],
      progress,
      streams: new Set<SseStream>(),
      sentKey: '',
      sentOnline: false,
      workshopCode: workshop.record.code,
    };
    this.#markSent(member, this.memberView(member));
    workshop.members.set(record.id, member);
    workshop.byLearner.set(record.learnerId, member);
    let memberships = this.#byLearner.get(record.learnerId);
    if (!memberships) {
      memberships = new Set();
      this.#byLearner.set(record.learnerId, memberships);
    }
    memberships.add(member);
    return member;
  }

  async #readProgress(learnerId: string): Promise<ProgressSummary> {
    const stored = await this.#options.progress.get(learnerId);
    return stored ? summarizeProgress(stored.progress) : NO_PROGRESS;
  }

  #openStream(
    channel: string,
    http: { request: IncomingMessage; response: ServerResponse },
    lastEventId: string | undefined,
  ): SseStream | undefined {
    return streamEvents(http, {
      bus: this.#bus,
      channel,
      lastEventId,
      streams: this.#streams,
      draining: this.#options.draining,
      ...this.#options.streams,
    });
  }

  /** Sends the member's view to the host when something besides `lastSeenAt` changed. */
  #emitIfChanged(workshop: LiveWorkshop, member: LiveMember, now = Date.now()): void {
    const view = this.memberView(member, now);
    if (viewKey(view) === member.sentKey) return;
    this.#markSent(member, view);
    this.#publish(hostChannel(workshop), HOST_EVENTS.member, view);
  }

  #publishMember(workshop: LiveWorkshop, member: LiveMember): void {
    const view = this.memberView(member);
    this.#markSent(member, view);
    this.#publish(hostChannel(workshop), HOST_EVENTS.member, view);
  }

  #markSent(member: LiveMember, view: MemberView): void {
    member.sentKey = viewKey(view);
    member.sentOnline = view.online;
  }

  #sweepPresence(): void {
    const now = Date.now();
    for (const workshop of this.#byCode.values()) {
      let anyoneOnline = false;
      for (const member of workshop.members.values()) {
        // Only presence can change with time alone; the rest is sent as it happens.
        const online = member.record.leftAt === null && member.presence.online(now, this.#timings);
        if (online !== member.sentOnline) this.#emitIfChanged(workshop, member, now);
        anyoneOnline ||= online;
      }
      const idle =
        !anyoneOnline &&
        this.#streams.count(hostChannel(workshop)) === 0 &&
        this.#streams.count(learnersChannel(workshop)) === 0;
      workshop.idleSince = idle ? (workshop.idleSince ?? now) : undefined;
      if (workshop.idleSince !== undefined && now - workshop.idleSince >= this.#timings.unloadAfterMs) this.#unload(workshop);
    }
  }

  /**
   * Forgets a workshop nobody uses, so memory follows the workshops running
   * now, not every one ever created. `find()` loads it again from the store;
   * only its presence (all offline) and recent broadcasts are not kept.
   */
  #unload(workshop: LiveWorkshop): void {
    this.#byCode.delete(workshop.record.code);
    for (const member of workshop.members.values()) {
      const memberships = this.#byLearner.get(member.record.learnerId);
      memberships?.delete(member);
      if (memberships?.size === 0) this.#byLearner.delete(member.record.learnerId);
    }
  }

  /** Workshops in memory now (the bench and tests read it). */
  loadedWorkshops(): number {
    return this.#byCode.size;
  }

  #publish(channel: string, type: string, data: unknown): void {
    // The in-memory bus delivers synchronously; its promise never rejects.
    void this.#bus.publish(channel, type, data);
  }
}

function hostChannel(workshop: LiveWorkshop): string {
  return `host:${workshop.record.id}`;
}

function learnersChannel(workshop: LiveWorkshop): string {
  return `learners:${workshop.record.id}`;
}

function viewKey(view: MemberView): string {
  return JSON.stringify({ ...view, lastSeenAt: 0 });
}

function assertNotClosed(workshop: LiveWorkshop): void {
  if (workshop.record.state !== 'closed') return;
  throw new HttpProblem({
    status: 409,
    type: PROBLEM_TYPES.workshopClosed,
    detail: `The workshop "${workshop.record.title}" is closed: it takes no more changes, and cannot be reopened.`,
  });
}
