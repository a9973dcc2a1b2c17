import { randomBytes } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { LEARNER_COOKIE, LEARNER_COOKIE_MAX_AGE, LEARNER_ID_PATTERN } from '../../src/protocol/progress.ts';

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

/**
 * Reads the `rtw_learner` cookie (RFC 6265 §5.4: `Cookie: a=1; b=2`). When
 * the browser sends it twice (two paths), the first is the most specific.
 */
export function readLearnerCookie(request: IncomingMessage): LearnerCookie {
  const header = request.headers.cookie;
  if (!header) return { kind: 'absent' };
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1 || pair.slice(0, separator).trim() !== LEARNER_COOKIE) continue;
    let value = pair.slice(separator + 1).trim();
    // RFC 6265 §4.1.1 allows a quoted cookie value.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return LEARNER_ID_PATTERN.test(value)
      ? { kind: 'valid', id: value }
      : { kind: 'invalid', value: value.slice(0, 40) };
  }
  return { kind: 'absent' };
}

/**
 * The `Set-Cookie` value for `id`: not readable by scripts (`HttpOnly`), not
 * sent on cross-site subrequests (`SameSite=Lax`), for the whole site, a year
 * (renewed by each save), and `Secure` when the request came over HTTPS
 * (directly, or through a proxy that says so in `X-Forwarded-Proto`).
 */
export function learnerSetCookie(id: string, request: IncomingMessage): string {
  const attributes = [
    `${LEARNER_COOKIE}=${id}`,
    'Path=/',
    `Max-Age=${LEARNER_COOKIE_MAX_AGE}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (cameOverHttps(request)) attributes.push('Secure');
  return attributes.join('; ');
}

/** True when the request came over HTTPS: directly, or through a proxy that says so in `X-Forwarded-Proto`. */
export function cameOverHttps(request: IncomingMessage): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}
