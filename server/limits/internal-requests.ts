import { randomBytes } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

/**
 * Lesson 7's experiments are real clients of this very server (the storm's
 * fleet of up to 200, the drain's readers, the slow consumer, the idle hop's
 * upstream): they connect from the server's own address, and would count
 * against that address's caps and buckets, and the reader's on localhost.
 * They carry this header with a secret made at start, so the limits let them
 * through; their number is bounded by the experiments' own caps instead.
 */
const HEADER = 'x-workbook-internal';
const TOKEN = randomBytes(16).toString('base64url');

/** `headers` plus the mark of a request this process makes to itself. */
export function internalHeaders(headers: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  return { ...headers, [HEADER]: TOKEN };
}

/** The header line of that mark, for a hand-written request. */
export const INTERNAL_HEADER_LINE = `${HEADER}: ${TOKEN}\r\n`;

/** True when this process made `request` to itself. */
export function isInternalRequest(request: IncomingMessage): boolean {
  return request.headers[HEADER] === TOKEN;
}
