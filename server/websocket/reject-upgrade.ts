import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../../src/protocol/problem.ts';
import { problemBody, type ProblemInit } from '../http/problem.ts';
import { API_CONTENT_SECURITY_POLICY } from '../http/security-headers.ts';

// #region reject-upgrade
/**
 * Refuses an upgrade request with a complete HTTP/1.1 response — status line,
 * headers, an `application/problem+json` body — on the raw socket (the
 * request never reached a `ServerResponse`), then closes the socket once it
 * is written. The one exit for every refusal, as `ws`'s `abortHandshake()`.
 */
export function rejectUpgrade(socket: Duplex, init: ProblemInit): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problemBody(init));
  const headers: Record<string, string | number> = {
    ...(init.headers as Record<string, string | number> | undefined),
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    // The connection is not upgraded, and not reusable either: the client sent it as an upgrade.
    Connection: 'close',
  };
  const head = [
    `HTTP/1.1 ${init.status} ${STATUS_CODES[init.status] ?? 'Error'}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  socket.once('finish', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
}
// #endregion reject-upgrade
