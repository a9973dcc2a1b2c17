import type { WorkshopState } from '../../src/protocol/workshops.ts';
import type { MemberRecord, WorkshopRecord } from './workshop-store.ts';

/** A `workshops` row, as both engines return it (times as numbers: ms since the epoch). */
export interface WorkshopRow {
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

/** A `workshop_members` row. */
export interface MemberRow {
  id: string;
  workshop_id: string;
  learner_id: string;
  name: string;
  joined_at: number;
  left_at: number | null;
  done_at: number | null;
}

export function toWorkshop(row: WorkshopRow): WorkshopRecord {
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

export function toMember(row: MemberRow): MemberRecord {
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
