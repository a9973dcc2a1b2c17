import { JOIN_CODE_PATTERN, type Membership } from '../protocol/workshops.ts';

/**
 * The workshop this browser has joined, kept in localStorage so every page
 * (and every tab) knows it: BaseLayout loads the workshop bar only when
 * there is one. What the server knows is the truth; this is a note of it.
 */

/** localStorage key; BaseLayout reads it to load the workshop bar only for members. */
export const MEMBERSHIP_KEY = 'rtw:workshop:v1';

export interface StoredMembership {
  code: string;
  title: string;
  memberId: string;
  name: string;
  /** The `at` of the last "go to" the reader answered (went, dismissed, or was there already). */
  focusAckAt?: number;
}

type Store = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function local(): Store | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

function session(): Store | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

/** The stored membership, or null (none, or an entry that is not one). */
export function readMembership(storage: Store | undefined = local()): StoredMembership | null {
  try {
    const value = JSON.parse(storage?.getItem(MEMBERSHIP_KEY) ?? 'null') as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const entry = value as Partial<StoredMembership>;
    if (typeof entry.code !== 'string' || !JOIN_CODE_PATTERN.test(entry.code)) return null;
    if (typeof entry.title !== 'string' || typeof entry.memberId !== 'string' || typeof entry.name !== 'string') return null;
    const result: StoredMembership = { code: entry.code, title: entry.title, memberId: entry.memberId, name: entry.name };
    if (typeof entry.focusAckAt === 'number') result.focusAckAt = entry.focusAckAt;
    return result;
  } catch {
    return null;
  }
}

export function writeMembership(entry: StoredMembership, storage: Store | undefined = local()): void {
  try {
    storage?.setItem(MEMBERSHIP_KEY, JSON.stringify(entry));
  } catch {
    // Storage blocked or full: the bar works for this page only.
  }
}

export function clearMembership(storage: Store | undefined = local()): void {
  try {
    storage?.removeItem(MEMBERSHIP_KEY);
  } catch {
    // Nothing to clear.
  }
}

/** What to store after the server answered with `membership` (keeps the acknowledged focus of the same workshop). */
export function fromMembership(membership: Membership, before: StoredMembership | null): StoredMembership {
  const entry: StoredMembership = {
    code: membership.workshop.code,
    title: membership.workshop.title,
    memberId: membership.member.id,
    name: membership.member.name,
  };
  if (before?.code === entry.code && before.focusAckAt !== undefined) entry.focusAckAt = before.focusAckAt;
  return entry;
}

/**
 * Whether to ask the reader to open the focused lesson: the host set a focus
 * after the last one the reader answered, and the reader is not on it.
 */
export function shouldPrompt(
  focus: { lesson: string; at: number } | null,
  focusAckAt: number | undefined,
  currentLesson: string | null,
): boolean {
  if (!focus) return false;
  if (focusAckAt !== undefined && focus.at <= focusAckAt) return false;
  return focus.lesson !== currentLesson;
}

/** The learner stream's last event id, per tab, so the next page resumes after it (a "go to" sent while navigating is not lost). */
export function readLastEventId(code: string, storage: Store | undefined = session()): string | undefined {
  try {
    return storage?.getItem(lastEventKey(code)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writeLastEventId(code: string, id: string, storage: Store | undefined = session()): void {
  try {
    if (id) storage?.setItem(lastEventKey(code), id);
  } catch {
    // A reload then starts from now: only a "go to" sent during it could be missed, and load checks the focus anyway.
  }
}

function lastEventKey(code: string): string {
  return `rtw:workshop:last-event:${code}`;
}
