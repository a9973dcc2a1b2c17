import type { WorkshopFocus, WorkshopState } from '../../src/protocol/workshops.ts';
import type { PostgresPool, SqlRunner } from '../store/postgres-pool.ts';
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
 * Workshops and their members in PostgreSQL (tables in
 * `server/store/postgres-migrations.ts`), shared by every instance on the
 * same `DATABASE_URL`. Every write to a workshop's members first locks the
 * workshop's row, so a name check and the write it allows cannot be
 * interleaved with another instance's: two learners joining as "Ada" through
 * two instances at once get one 201 and one 409.
 */
export class PostgresWorkshopStore implements WorkshopStore {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  create(title: string, hostSecretHash: string, now: number): Promise<WorkshopRecord> {
    return createWithFreshCode(async (id, code) => {
      // A taken code inserts nothing (the UNIQUE constraint), and another is drawn.
      const [row] = await this.#pool.query<WorkshopRow>(
        `INSERT INTO workshops (id, code, title, host_secret_hash, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $5) ON CONFLICT (code) DO NOTHING RETURNING *`,
        [id, code, title, hostSecretHash, now],
      );
      return row && toWorkshop(row);
    });
  }

  async byCode(code: string): Promise<WorkshopRecord | undefined> {
    const [row] = await this.#pool.query<WorkshopRow>('SELECT * FROM workshops WHERE code = $1', [code]);
    return row && toWorkshop(row);
  }

  async setState(workshopId: string, state: WorkshopState, now: number): Promise<void> {
    await this.#pool.query('UPDATE workshops SET state = $2, updated_at = $3 WHERE id = $1', [workshopId, state, now]);
  }

  setFocus(workshopId: string, focus: WorkshopFocus, now: number): Promise<void> {
    return this.#pool.transaction(async (sql) => {
      // The UPDATE locks the workshop's row first, as every member write does.
      await sql.query('UPDATE workshops SET focus_lesson = $2, focus_at = $3, updated_at = $4 WHERE id = $1', [
        workshopId,
        focus.lesson,
        focus.at,
        now,
      ]);
      await sql.query('UPDATE workshop_members SET done_at = NULL WHERE workshop_id = $1', [workshopId]);
    });
  }

  async members(workshopId: string): Promise<MemberRecord[]> {
    // COLLATE "C": ids in byte order, as SQLite sorts them, whatever the database's collation.
    const rows = await this.#pool.query<MemberRow>(
      'SELECT * FROM workshop_members WHERE workshop_id = $1 ORDER BY joined_at, id COLLATE "C"',
      [workshopId],
    );
    return rows.map(toMember);
  }

  async findMember(workshopId: string, learnerId: string): Promise<MemberRecord | undefined> {
    const [row] = await this.#pool.query<MemberRow>('SELECT * FROM workshop_members WHERE workshop_id = $1 AND learner_id = $2', [
      workshopId,
      learnerId,
    ]);
    return row && toMember(row);
  }

  async memberById(memberId: string): Promise<MemberRecord | undefined> {
    const [row] = await this.#pool.query<MemberRow>('SELECT * FROM workshop_members WHERE id = $1', [memberId]);
    return row && toMember(row);
  }

  addMember(workshopId: string, learnerId: string, name: string, now: number): Promise<MemberRecord> {
    return this.#pool.transaction(async (sql) => {
      const present = await lockPresent(sql, workshopId);
      const [known] = await sql.query<MemberRow>('SELECT * FROM workshop_members WHERE workshop_id = $1 AND learner_id = $2', [
        workshopId,
        learnerId,
      ]);
      assertNameFree(present, name, known?.id);
      if (known) {
        const back = returning(toMember(known), name);
        await updateMember(sql, back);
        return back;
      }
      const member = newMember(workshopId, learnerId, name, now);
      await sql.query(
        `INSERT INTO workshop_members (id, workshop_id, learner_id, name, joined_at, left_at, done_at)
         VALUES ($1, $2, $3, $4, $5, NULL, NULL)`,
        [member.id, workshopId, learnerId, name, now],
      );
      return member;
    });
  }

  async setDone(memberId: string, doneAt: number | null): Promise<void> {
    await this.#pool.query('UPDATE workshop_members SET done_at = $2 WHERE id = $1', [memberId, doneAt]);
  }

  saveMember(member: MemberRecord): Promise<void> {
    return this.#pool.transaction(async (sql) => {
      const present = await lockPresent(sql, member.workshopId);
      if (member.leftAt === null) assertNameFree(present, member.name, member.id);
      await updateMember(sql, member);
    });
  }
}

async function updateMember(sql: SqlRunner, member: MemberRecord): Promise<void> {
  await sql.query('UPDATE workshop_members SET name = $2, left_at = $3, done_at = $4 WHERE id = $1', [
    member.id,
    member.name,
    member.leftAt,
    member.doneAt,
  ]);
}

/**
 * Locks the workshop's row until the transaction ends, then reads the members
 * present. New members are rows no `FOR UPDATE` on members could lock, so the
 * workshop's row is the lock; reading after taking it (READ COMMITTED: a new
 * snapshot per statement) sees every member committed before.
 */
async function lockPresent(sql: SqlRunner, workshopId: string): Promise<{ id: string; name: string }[]> {
  await sql.query('SELECT 1 FROM workshops WHERE id = $1 FOR UPDATE', [workshopId]);
  return sql.query('SELECT id, name FROM workshop_members WHERE workshop_id = $1 AND left_at IS NULL', [workshopId]);
}
