import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LEARNER_COOKIE, LEARNER_COOKIE_MAX_AGE, LEARNER_ID_PATTERN } from '../../src/protocol/progress.ts';
import { cameOverHttps, readCookie } from '../http/cookies.ts';

/** A fresh learner id: 128 random bits as base64url (22 characters). */
export function newLearnerId(): string {
  return randomBytes(16).toString('base64url');
}

/** What the request's cookies say about the learner. */
export type LearnerCookie =
  | { kind: 'absent' }
  | { kind: 'valid'; id: string }
  /** Present but not an id this server issues; `value` is shortened for messages. */
  | { kind: 'invalid'; value: string };

/** Reads the `rtw_learner` cookie. */
export function readLearnerCookie(request: Pick<IncomingMessage, 'headers'>): LearnerCookie {
  const value = readCookie(request, LEARNER_COOKIE);
  if (value === undefined) return { kind: 'absent' };
  return LEARNER_ID_PATTERN.test(value) ? { kind: 'valid', id: value } : { kind: 'invalid', value: value.slice(0, 40) };
}

/**
 * The `Set-Cookie` value for `id`: not readable by scripts (`HttpOnly`), not
 * sent on cross-site subrequests (`SameSite=Lax`), for the whole site, a year
 * (renewed by each save), and `Secure` when the request came over HTTPS
 * (directly, or through a proxy that says so in `X-Forwarded-Proto`).
 */
export function learnerSetCookie(id: string, request: IncomingMessage): string {
  const attributes = [`${LEARNER_COOKIE}=${id}`, 'Path=/', `Max-Age=${LEARNER_COOKIE_MAX_AGE}`, 'HttpOnly', 'SameSite=Lax'];
  if (cameOverHttps(request)) attributes.push('Secure');
  return attributes.join('; ');
}

/**
 * A page opened without the learner cookie gets one with the page, so every
 * request the page then sends (streams, faults, a workshop join) carries
 * the same id: the first of them claims the reader's channels for it. Were
 * the cookie handed out by those requests instead, parallel ones would each
 * get a different id, and the channel's owner would not be the browser's.
 */
export function giveLearnerCookieWithPage(request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' || !(request.headers.accept ?? '').includes('text/html')) return;
  if (readLearnerCookie(request).kind !== 'absent') return;
  response.setHeader('Set-Cookie', learnerSetCookie(newLearnerId(), request));
}
