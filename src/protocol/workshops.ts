/**
 * Workshops: an instructor runs a class on the server, one instance or
 * several (docs/api.md, "Workshops"). Defined once here, used by the server
 * (`server/workshops/`), the pages and widgets (`src/workshops/`), the tests
 * and the bench.
 *
 * Who is who:
 * - The **host** holds the workshop's secret (in the host link's fragment,
 *   `#key=…`, so it never reaches a server log or a `Referer`). The server
 *   keeps only its SHA-256. Host endpoints accept it as
 *   `Authorization: Bearer <secret>`, or as the {@link HOST_COOKIE} cookie
 *   that `POST …/host/session` sets (path-scoped to that workshop's host
 *   endpoints, `HttpOnly`, `SameSite=Strict`), which `EventSource` and a CSV
 *   download link send by themselves. No credentials → 401; a wrong secret
 *   (or another workshop's) → 403.
 * - A **learner** is the anonymous `rtw_learner` cookie of the progress API
 *   (joining sets it when absent). Their progress reaches the workshop
 *   through the normal progress sync (`PUT /api/progress`); the workshop only
 *   adds presence, location and the "done" signal. A learner sees their own
 *   membership and the workshop's title, state and focus — never another
 *   learner. The host sees members by a public member id, never the learner id
 *   (which is a credential for the learner's progress).
 */

/** The open state: people join and report. `locked`: members stay, nobody new joins. `closed`: over; only the host can read it and export. */
export type WorkshopState = 'open' | 'locked' | 'closed';
export const WORKSHOP_STATES: readonly WorkshopState[] = ['open', 'locked', 'closed'];

/** Join codes: 6 characters of an alphabet without look-alikes (no 0/O, 1/I/L), e.g. `K7QX2M`. */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const JOIN_CODE_LENGTH = 6;
export const JOIN_CODE_PATTERN = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}$/;

/**
 * A typed code as a join code: upper-cased, spaces and dashes removed
 * ("k7q-x2m" → "K7QX2M"). Returns it even when still invalid; check it with
 * {@link JOIN_CODE_PATTERN}.
 */
export function normalizeJoinCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]+/g, '');
}

export const WORKSHOP_LIMITS = {
  /** Title, in characters (code points) after trimming. */
  maxTitleLength: 80,
  /** Display name, in characters (code points) after trimming and collapsing spaces. */
  maxNameLength: 32,
  /** Members (ever joined) per workshop. */
  maxMembers: 500,
  /** Broadcast text, in characters. */
  maxBroadcastLength: 280,
  /** Demo channels a learner's page may register in one heartbeat. */
  maxChannelsPerMember: 12,
  /** Largest request body of any workshop endpoint. */
  maxBodyBytes: 4 * 1024,
} as const;

export const WORKSHOP_TIMINGS = {
  /** How often a learner's page sends a heartbeat. */
  heartbeatMs: 15_000,
  /** A member with no heartbeat for this long is offline. */
  presenceTtlMs: 45_000,
  /** A member whose last learner stream closed this long ago (a closed tab) is offline, heartbeats or not. */
  streamGraceMs: 5_000,
} as const;

/**
 * Display names: plain text. Refused: empty, longer than
 * {@link WORKSHOP_LIMITS.maxNameLength}, control or format characters,
 * `<` `>` (a name is never markup; pages render it as text anyway), and
 * lone UTF-16 surrogates (`\udfff` in JSON: not a character; SQLite would store U+FFFD).
 * Two active members of one workshop cannot share a name (case-insensitive).
 */
export const NAME_FORBIDDEN = /[<>\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** `'  Ada   Lovelace '` → `'Ada Lovelace'`: a display name as stored (NFC, trimmed, runs of spaces collapsed). */
export function cleanDisplayName(typed: string): string {
  return typed.normalize('NFC').trim().replace(/\s+/g, ' ');
}

/**
 * Why `typed` cannot be a display name, or null when it can: the one check the join
 * form and the server both run. Judged before collapsing, so a pasted tab or line
 * break is refused on both sides rather than turned into a space by one of them.
 */
export function displayNameProblem(typed: string): string | null {
  if (NAME_FORBIDDEN.test(typed)) return 'A name is plain text: no < or >, no tabs, line breaks or other control characters.';
  const length = [...cleanDisplayName(typed)].length;
  if (length === 0) return 'Enter the name others in the room know you by.';
  if (length > WORKSHOP_LIMITS.maxNameLength) {
    return `A name has at most ${WORKSHOP_LIMITS.maxNameLength} characters; this one has ${length}.`;
  }
  return null;
}

/** The cookie carrying the host secret for one workshop's host endpoints. */
export const HOST_COOKIE = 'rtw_host';

/** Site pages of workshops. */
export const workshopPages = {
  /** Create a workshop (instructors). */
  create: '/workshops/',
  /** The join link: the home page with the code filled in. */
  join: (code: string) => `/?join=${encodeURIComponent(code)}`,
  /** The host dashboard; the secret goes in the fragment. */
  host: (code: string, secret?: string) =>
    `/workshops/host/?code=${encodeURIComponent(code)}${secret ? `#key=${encodeURIComponent(secret)}` : ''}`,
} as const;

/** What anyone with the code may know. */
export interface PublicWorkshop {
  code: string;
  title: string;
  state: WorkshopState;
}

/** Where the host pointed everyone, and when. */
export interface WorkshopFocus {
  /** A lesson slug. */
  lesson: string;
  at: number;
}

/** What the host sees of the workshop itself. */
export interface HostWorkshop extends PublicWorkshop {
  createdAt: number;
  focus: WorkshopFocus | null;
  /**
   * Links people in the room can open: the join page on each address the
   * server can be reached at (the host's own, unless it is loopback; the LAN
   * addresses when the server listens on every interface). Absolute URLs.
   */
  joinUrls: string[];
}

/** `POST /api/workshops` answers this, once: the secret is not stored and cannot be shown again. */
export interface CreatedWorkshop {
  workshop: HostWorkshop;
  /** 32 random bytes, base64url. */
  secret: string;
  /** The host link, relative: {@link workshopPages.host} with the secret. */
  hostPath: string;
}

/** The learner's own membership. */
export interface Membership {
  workshop: PublicWorkshop & { focus: WorkshopFocus | null };
  member: {
    id: string;
    name: string;
    joinedAt: number;
    /** When they raised "done with this step"; null when lowered (or after the host moved on). */
    doneAt: number | null;
  };
}

/** The latest quiz attempt of a member. */
export interface MemberQuiz {
  at: number;
  /** Best fits picked, as the learner's browser saved it. */
  score: number;
  /** Best fits plus half a point per acceptable pick, worked out by the server from `answers`. */
  points: number;
  total: number;
  /** Scenario id → technique picked. */
  answers: Record<string, string>;
}

/** One learner as the host sees them: the `member` event and a row of the grid. */
export interface MemberView {
  id: string;
  name: string;
  joinedAt: number;
  /** When they left (or null). A member who left stays in the grid and the CSV. */
  leftAt: number | null;
  online: boolean;
  lastSeenAt: number;
  /** The lesson they are reading now (a slug), or null. */
  lesson: string | null;
  /** Lesson slug → when it was completed (from their synced progress). */
  completed: Record<string, number>;
  /** Lesson slug → when the server first verified one of its exercises for them (`src/protocol/exercise-runs.ts`). */
  verified: Record<string, number>;
  quiz: MemberQuiz | null;
  doneAt: number | null;
}

/** `GET …/host`: everything the dashboard draws; `cursor` is the host stream's id to resume after. */
export interface HostSnapshot {
  workshop: HostWorkshop;
  members: MemberView[];
  broadcasts: BroadcastRecord[];
  cursor: number;
}

export interface BroadcastRecord {
  text: string;
  at: number;
  /** Online members it was sent to, and how many demo channels in all. */
  members: number;
  channels: number;
}

export type BroadcastReceipt = BroadcastRecord;

/** Event types on the host stream; `data` is JSON. */
export const HOST_EVENTS = {
  /** A {@link MemberView}: a member joined or changed (presence, lesson, progress, done, left). Replaces the row with that id. */
  member: 'member',
  /** A {@link HostWorkshop}: state or focus changed. */
  workshop: 'workshop',
  /** A {@link BroadcastRecord}. */
  broadcast: 'broadcast',
} as const;

/** Event types on a learner stream; `data` is JSON. */
export const LEARNER_EVENTS = {
  /** A {@link WorkshopFocus}: the host points everyone to a lesson. */
  goto: 'goto',
  /** `{state}`: locked, reopened or closed (then the stream ends). */
  state: 'state',
} as const;

/**
 * The event a broadcast publishes on each registered demo channel (the
 * channel's own log, ids and techniques): type {@link BROADCAST_EVENT_TYPE},
 * data {@link DemoBroadcast}. Demos show it like any event; the SSE demo and
 * the long-polling feed call it out.
 */
export const BROADCAST_EVENT_TYPE = 'workshop-broadcast';
export interface DemoBroadcast {
  /** The workshop's title. */
  workshop: string;
  text: string;
}

/** The CSV's leading columns; one `lesson:<slug>` column per lesson and one `quiz:<scenario>` per scenario follow. */
export const CSV_COLUMNS = [
  'name',
  'joined_at',
  'left_at',
  'online',
  'current_lesson',
  'done',
  'lessons_completed',
  'lessons_verified',
  'quiz_score',
  'quiz_points',
  'quiz_total',
] as const;
