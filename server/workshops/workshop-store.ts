import { randomBytes } from 'node:crypto';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { WorkshopFocus, WorkshopState } from '../../src/protocol/workshops.ts';
import { HttpProblem } from '../http/problem.ts';
import { nameKey } from './display-text.ts';
import { newJoinCode } from './join-code.ts';

/** A workshop as stored. */
export interface WorkshopRecord {
  id: string;
  code: string;
  title: string;
  /** Hex SHA-256 of the host secret; the secret itself is never stored. */
  hostSecretHash: string;
  state: WorkshopState;
  focus: WorkshopFocus | null;
  createdAt: number;
  updatedAt: number;
}

/** A member as stored: what survives a restart (presence and location are the live state's). */
export interface MemberRecord {
  /** The public member id the host sees. */
  id: string;
  workshopId: string;
  /** The `rtw_learner` id: a credential, never shown to the host. */
  learnerId: string;
  name: string;
  joinedAt: number;
  leftAt: number | null;
  doneAt: number | null;
}

/**
 * Workshops and their members, durably: thin, the rules (who may join, what
 * changes) are in `WorkshopHub`. Two engines keep them: `SqliteWorkshopStore`
 * (`DATA_DIR`) and `PostgresWorkshopStore` (`DATABASE_URL`, shared by several
 * instances). The one rule kept here is the one an instance cannot check
 * alone: no two members present in a workshop share a name.
 */
export interface WorkshopStore {
  /** Creates an open workshop with a fresh join code. */
  create(title: string, hostSecretHash: string, now: number): Promise<WorkshopRecord>;
  /** The workshop with this join code, if any. */
  byCode(code: string): Promise<WorkshopRecord | undefined>;
  setState(workshopId: string, state: WorkshopState, now: number): Promise<void>;
  /** Points everyone to `focus` and lowers every member's "done", together. */
  setFocus(workshopId: string, focus: WorkshopFocus, now: number): Promise<void>;
  /** Every member who ever joined, in join order. */
  members(workshopId: string): Promise<MemberRecord[]>;
  /** The learner's membership of the workshop, left or not; undefined if they never joined. */
  findMember(workshopId: string, learnerId: string): Promise<MemberRecord | undefined>;
  /** The member with this public id, if any. */
  memberById(memberId: string): Promise<MemberRecord | undefined>;
  /**
   * Adds the learner as a member; one who already is (they joined through
   * another instance, which this one's hub has not seen) is brought back under
   * `name` instead, never added twice.
   * @throws {NameTaken} when a member present in the workshop already has `name` (case-insensitive).
   */
  addMember(workshopId: string, learnerId: string, name: string, now: number): Promise<MemberRecord>;
  /** Raises (at `doneAt`) or lowers (null) the member's "done": one row, no name to check, so no lock on the workshop. */
  setDone(memberId: string, doneAt: number | null): Promise<void>;
  /**
   * Saves the member's name, `leftAt` and `doneAt`.
   * @throws {NameTaken} when the member is present and another present member has their name.
   */
  saveMember(member: MemberRecord): Promise<void>;
}

/**
 * Another member present in the workshop already has this display name
 * (case-insensitive): `409 name-taken`. The stores throw it from the
 * database, where a member who joined through any instance is visible.
 */
export class NameTaken extends HttpProblem {
  override name = 'NameTaken';

  constructor(takenBy: string) {
    super({
      status: 409,
      type: PROBLEM_TYPES.nameTaken,
      detail: `Someone in this workshop is already called "${takenBy}"; pick another name.`,
      extensions: { field: 'name' },
    });
  }
}

/**
 * @param present the members who have not left, as the database holds them now (under the workshop's lock).
 * @param memberId the member who takes `name`, when already a member (a rename or a return): not a clash with themself.
 * @throws {NameTaken}
 */
export function assertNameFree(present: readonly { id: string; name: string }[], name: string, memberId?: string): void {
  const key = nameKey(name);
  const clash = present.find((other) => other.id !== memberId && nameKey(other.name) === key);
  if (clash) throw new NameTaken(clash.name);
}

/** Tries before giving up on finding a free join code (31⁶ ≈ 887 million codes: a second try is already rare). */
const CODE_ATTEMPTS = 20;

/**
 * Draws join codes until `insert` stores the workshop under one (it returns
 * undefined when the code is taken, and another is drawn).
 */
export async function createWithFreshCode(
  insert: (id: string, code: string) => Promise<WorkshopRecord | undefined>,
): Promise<WorkshopRecord> {
  const id = randomBytes(12).toString('base64url');
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt += 1) {
    const created = await insert(id, newJoinCode());
    if (created) return created;
  }
  throw new Error(`No free join code after ${CODE_ATTEMPTS} tries.`);
}

/** A member who joins again, as `name`: present from now on, the rest as it was. */
export function returning(member: MemberRecord, name: string): MemberRecord {
  return { ...member, name, leftAt: null };
}

/** A new member's record, with a fresh public id. */
export function newMember(workshopId: string, learnerId: string, name: string, now: number): MemberRecord {
  return {
    id: randomBytes(9).toString('base64url'),
    workshopId,
    learnerId,
    name,
    joinedAt: now,
    leftAt: null,
    doneAt: null,
  };
}
