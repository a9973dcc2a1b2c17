import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { WORKSHOP_LIMITS } from '../../src/protocol/workshops.ts';
import { HttpProblem } from '../http/problem.ts';
import type { WorkshopRecord } from './workshop-store.ts';

/**
 * A workshop's two private stream channels. Their `:` makes them names the
 * public `/api/sse/{channel}` and `POST /api/channels/…/events` refuse.
 */
export function hostChannel(workshop: WorkshopRecord): string {
  return `workshop:${workshop.id}:host`;
}

export function learnersChannel(workshop: WorkshopRecord): string {
  return `workshop:${workshop.id}:learners`;
}

/** @throws {HttpProblem} 409 `workshop-closed`: a closed workshop takes no more changes. */
export function assertNotClosed(workshop: WorkshopRecord): void {
  if (workshop.state !== 'closed') return;
  throw new HttpProblem({
    status: 409,
    type: PROBLEM_TYPES.workshopClosed,
    detail: `The workshop "${workshop.title}" is closed: it takes no more changes, and cannot be reopened.`,
  });
}

/**
 * A newcomer may join an open workshop with room left (a learner who joined
 * before comes back whatever the state: the hub checks that first).
 * @throws {HttpProblem} 409 `workshop-locked`, 409 `workshop-full`.
 */
export function assertNewcomerWelcome(workshop: WorkshopRecord, members: number): void {
  if (workshop.state === 'locked') {
    throw new HttpProblem({
      status: 409,
      type: PROBLEM_TYPES.workshopLocked,
      detail: `The workshop "${workshop.title}" is locked: nobody new can join. Ask the host to reopen it.`,
    });
  }
  if (members >= WORKSHOP_LIMITS.maxMembers) {
    throw new HttpProblem({
      status: 409,
      type: PROBLEM_TYPES.workshopFull,
      detail: `The workshop already has ${WORKSHOP_LIMITS.maxMembers} members, as many as it may.`,
    });
  }
}
