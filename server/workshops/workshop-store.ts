import { randomBytes } from 'node:crypto';
import { type DatabaseSync, type StatementSync } from 'node:sqlite';
import { type WorkshopFocus, type WorkshopState } from '../../src/protocol/workshops.ts';
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

/** A member as stored: what survives a restart (presence and location live in memory). */
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

interface WorkshopRow {
  id: string;
  code: string;
  title: string;
  host_secret_hash: string;
  state: WorkshopState;
  focus_lesson: string | null;
  focus_at: number | null;
  created_at: number;
  updated_at: number;
}

interface MemberRow {
  id: string;
  workshop_id: string;
  learner_id: string;
  name: string;
  joined_at: number;
  left_at: number | null;
  done_at: number | null;
}

/** Tries before giving up on finding a free join code (31⁶ ≈ 887 million codes: a second try is already rare). */
const CODE_ATTEMPTS = 20;

/**
 * Workshops and their members in SQLite (tables in
 * `server/store/migrations.ts`). Synchronous (`node:sqlite`) and thin: the
 * rules (who may join, what changes) are in `WorkshopHub`.
 */
export class WorkshopStore {
  readonly #database: DatabaseSync;
  readonly #insertWorkshop: StatementSync;
  readonly #selectByCode: StatementSync;
  readonly #updateState: StatementSync;
  readonly #updateFocus: StatementSync;
  readonly #selectMembers: StatementSync;
  readonly #insertMember: StatementSync;
  readonly #updateMember: StatementSync;
  readonly #clearDone: StatementSync;

  constructor(database: DatabaseSync) {
    this.#database = database;
    this.#insertWorkshop = database.prepare(
      `INSERT INTO workshops (id, code, title, host_secret_hash, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (code) DO NOTHING`,
    );
    this.#selectByCode = database.prepare('SELECT * FROM workshops WHERE code = ?');
    this.#updateState = database.prepare('UPDATE workshops SET state = ?, updated_at = ? WHERE id = ?');
    this.#updateFocus = database.prepare(
      'UPDATE workshops SET focus_lesson = ?, focus_at = ?, updated_at = ? WHERE id = ?',
    );
    this.#selectMembers = database.prepare(
      'SELECT * FROM workshop_members WHERE workshop_id = ? ORDER BY joined_at, id',
    );
    this.#insertMember = database.prepare(
      `INSERT INTO workshop_members (id, workshop_id, learner_id, name, joined_at, left_at, done_at)
       VALUES (?, ?, ?, ?, ?, NULL, NULL)`,
    );
    this.#updateMember = database.prepare(
      'UPDATE workshop_members SET name = ?, left_at = ?, done_at = ? WHERE id = ?',
    );
    this.#clearDone = database.prepare('UPDATE workshop_members SET done_at = NULL WHERE workshop_id = ?');
  }

  /** Creates an open workshop with a fresh join code. */
  create(title: string, hostSecretHash: string, now: number): WorkshopRecord {
    const id = randomBytes(12).toString('base64url');
    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt += 1) {
      const code = newJoinCode();
      // A taken code inserts nothing (the UNIQUE constraint), and we draw another.
      const { changes } = this.#insertWorkshop.run(id, code, title, hostSecretHash, now, now);
      if (changes === 1) return this.byCode(code)!;
    }
    throw new Error(`No free join code after ${CODE_ATTEMPTS} tries.`);
  }

  byCode(code: string): WorkshopRecord | undefined {
    const row = this.#selectByCode.get(code) as WorkshopRow | undefined;
    return row && toWorkshop(row);
  }

  setState(workshopId: string, state: WorkshopState, now: number): void {
    this.#updateState.run(state, now, workshopId);
  }

  /** Points everyone to `focus` and lowers every member's "done", together. */
  setFocus(workshopId: string, focus: WorkshopFocus, now: number): void {
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      this.#updateFocus.run(focus.lesson, focus.at, now, workshopId);
      this.#clearDone.run(workshopId);
      this.#database.exec('COMMIT');
    } catch (error) {
      this.#database.exec('ROLLBACK');
      throw error;
    }
  }

  /** Every member who ever joined, in join order. */
  members(workshopId: string): MemberRecord[] {
    return (this.#selectMembers.all(workshopId) as unknown as MemberRow[]).map(toMember);
  }

  addMember(workshopId: string, learnerId: string, name: string, now: number): MemberRecord {
    const member: MemberRecord = {
      id: randomBytes(9).toString('base64url'),
      workshopId,
      learnerId,
      name,
      joinedAt: now,
      leftAt: null,
      doneAt: null,
    };
    this.#insertMember.run(member.id, workshopId, learnerId, name, now);
    return member;
  }

  /** Saves the member's name, `leftAt` and `doneAt`. */
  saveMember(member: MemberRecord): void {
    this.#updateMember.run(member.name, member.leftAt, member.doneAt, member.id);
  }
}

function toWorkshop(row: WorkshopRow): WorkshopRecord {
  return {
    id: row.id,
    code: row.code,
    title: row.title,
    hostSecretHash: row.host_secret_hash,
    state: row.state,
    focus: row.focus_lesson !== null && row.focus_at !== null ? { lesson: row.focus_lesson, at: row.focus_at } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toMember(row: MemberRow): MemberRecord {
  return {
    id: row.id,
    workshopId: row.workshop_id,
    learnerId: row.learner_id,
    name: row.name,
    joinedAt: row.joined_at,
    leftAt: row.left_at,
    doneAt: row.done_at,
  };
}
