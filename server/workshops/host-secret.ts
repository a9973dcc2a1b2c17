import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { HOST_COOKIE } from '../../src/protocol/workshops.ts';
import { cameOverHttps, readCookie } from '../http/cookies.ts';

/** A fresh host secret: 32 random bytes, base64url (43 characters). */
export function newHostSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The hex SHA-256 of a secret, which is all the server keeps. A plain hash is
 * right here (no salt, no slow KDF): the secret is 256 random bits, not a
 * password, so there is nothing to guess or look up.
 */
export function hashHostSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `expectedHash`, compared in constant time. */
export function hostSecretMatches(secret: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashHostSecret(secret), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * The secret a request presents: `Authorization: Bearer <secret>` (RFC 6750
 * §2.1), else the {@link HOST_COOKIE} cookie; undefined when neither.
 */
export function presentedHostSecret(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization?.trim();
  if (authorization) {
    const match = /^Bearer +(\S+)$/i.exec(authorization);
    // A malformed Authorization still presents something: it is judged (and refused) as a wrong secret.
    return match?.[1] ?? authorization;
  }
  return readCookie(request, HOST_COOKIE);
}

/**
 * The `Set-Cookie` value carrying `secret` for the workshop `code`: sent only
 * to its host endpoints (`Path`), never readable by scripts (`HttpOnly`), never
 * on a request another site starts (`SameSite=Strict`), and `Secure` over
 * HTTPS. A session cookie: the host link (with the secret) sets it again.
 */
export function hostSetCookie(code: string, secret: string, request: IncomingMessage): string {
  const attributes = [`${HOST_COOKIE}=${secret}`, `Path=${apiRoutes.workshopHost.path({ code })}`, 'HttpOnly', 'SameSite=Strict'];
  if (cameOverHttps(request)) attributes.push('Secure');
  return attributes.join('; ');
}
