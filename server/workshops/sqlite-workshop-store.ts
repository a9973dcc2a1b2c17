import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { WorkshopFocus, WorkshopState } from '../../src/protocol/workshops.ts';
import { immediateTransaction } from '../store/sqlite-transaction.ts';
import { toMember, toWorkshop, type MemberRow, type WorkshopRow } from './workshop-rows.ts';
import {
  assertNameFree,
  createWithFreshCode,
  newMember,
  returning,
  type MemberRecord,
  type WorkshopRecord,
  type WorkshopStore,
} from './workshop-store.ts';

/**
 * Workshops and their members in SQLite (tables in
 * `server/store/sqlite-migrations.ts`). The work is synchronous
 * (`node:sqlite`); a name check and the write it allows share one
 * `BEGIN IMMEDIATE` transaction, which a second process on the file waits for.
 */
export class SqliteWorkshopStore implements WorkshopStore {
  readonly #database: DatabaseSync;
  readonly #insertWorkshop: StatementSync;
  readonly #selectByCode: StatementSync;
  readonly #updateState: StatementSync;
  readonly #updateFocus: StatementSync;
  readonly #selectMembers: StatementSync;
  readonly #selectPresent: StatementSync;
  readonly #selectLearner: StatementSync;
  readonly #selectMember: StatementSync;
  readonly #insertMember: StatementSync;
  readonly #updateMember: StatementSync;
  readonly #clearDone: StatementSync;
  readonly #updateDone: StatementSync;

  constructor(database: DatabaseSync) {
    this.#database = database;
    this.#insertWorkshop = database.prepare(
      `INSERT INTO workshops (id, code, title, host_secret_hash, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (code) DO NOTHING`,
    );
    this.#selectByCode = database.prepare('SELECT * FROM workshops WHERE code = ?');
    this.#updateState = database.prepare('UPDATE workshops SET state = ?, updated_at = ? WHERE id = ?');
    this.#updateFocus = database.prepare('UPDATE workshops SET focus_lesson = ?, focus_at = ?, updated_at = ? WHERE id = ?');
    this.#selectMembers = database.prepare('SELECT * FROM workshop_members WHERE workshop_id = ? ORDER BY joined_at, id');
    this.#selectPresent = database.prepare('SELECT id, name FROM workshop_members WHERE workshop_id = ? AND left_at IS NULL');
    this.#selectLearner = database.prepare('SELECT * FROM workshop_members WHERE workshop_id = ? AND learner_id = ?');
    this.#selectMember = database.prepare('SELECT * FROM workshop_members WHERE id = ?');
    this.#insertMember = database.prepare(
      `INSERT INTO workshop_members (id, workshop_id, learner_id, name, joined_at, left_at, done_at)
       VALUES (?, ?, ?, ?, ?, NULL, NULL)`,
    );
    this.#updateMember = database.prepare('UPDATE workshop_members SET name = ?, left_at = ?, done_at = ? WHERE id = ?');
    this.#clearDone = database.prepare('UPDATE workshop_members SET done_at = NULL WHERE workshop_id = ?');
    this.#updateDone = database.prepare('UPDATE workshop_members SET done_at = ? WHERE id = ?');
  }

  create(title: string, hostSecretHash: string, now: number): Promise<WorkshopRecord> {
    return createWithFreshCode(async (id, code) => {
      // A taken code inserts nothing (the UNIQUE constraint), and another is drawn.
      const { changes } = this.#insertWorkshop.run(id, code, title, hostSecretHash, now, now);
      return changes === 1 ? this.#byCode(code) : undefined;
    });
  }

  async byCode(code: string): Promise<WorkshopRecord | undefined> {
    return this.#byCode(code);
  }

  async setState(workshopId: string, state: WorkshopState, now: number): Promise<void> {
    this.#updateState.run(state, now, workshopId);
  }

  async setFocus(workshopId: string, focus: WorkshopFocus, now: number): Promise<void> {
    immediateTransaction(this.#database, () => {
      this.#updateFocus.run(focus.lesson, focus.at, now, workshopId);
      this.#clearDone.run(workshopId);
    });
  }

  async members(workshopId: string): Promise<MemberRecord[]> {
    return (this.#selectMembers.all(workshopId) as unknown as MemberRow[]).map(toMember);
  }

  async findMember(workshopId: string, learnerId: string): Promise<MemberRecord | undefined> {
    const row = this.#selectLearner.get(workshopId, learnerId) as MemberRow | undefined;
    return row && toMember(row);
  }

  async memberById(memberId: string): Promise<MemberRecord | undefined> {
    const row = this.#selectMember.get(memberId) as MemberRow | undefined;
    return row && toMember(row);
  }

  async addMember(workshopId: string, learnerId: string, name: string, now: number): Promise<MemberRecord> {
    return immediateTransaction(this.#database, () => {
      const known = this.#selectLearner.get(workshopId, learnerId) as MemberRow | undefined;
      assertNameFree(this.#present(workshopId), name, known?.id);
      if (known) {
        const back = returning(toMember(known), name);
        this.#updateMember.run(back.name, back.leftAt, back.doneAt, back.id);
        return back;
      }
      const member = newMember(workshopId, learnerId, name, now);
      this.#insertMember.run(member.id, workshopId, learnerId, name, now);
      return member;
    });
  }

  async setDone(memberId: string, doneAt: number | null): Promise<void> {
    this.#updateDone.run(doneAt, memberId);
  }

  async saveMember(member: MemberRecord): Promise<void> {
    immediateTransaction(this.#database, () => {
      if (member.leftAt === null) assertNameFree(this.#present(member.workshopId), member.name, member.id);
      this.#updateMember.run(member.name, member.leftAt, member.doneAt, member.id);
    });
  }

  #byCode(code: string): WorkshopRecord | undefined {
    const row = this.#selectByCode.get(code) as WorkshopRow | undefined;
    return row && toWorkshop(row);
  }

  #present(workshopId: string): { id: string; name: string }[] {
    return this.#selectPresent.all(workshopId) as { id: string; name: string }[];
  }
}
