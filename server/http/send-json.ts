import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { sendProblem } from './problem.ts';
import { responseContractProblem } from './response-contract.ts';

/**
 * Writes `body` as a JSON response with an exact `Content-Length`. API answers
 * change from one request to the next, so they are `no-store` unless the caller
 * set its own `Cache-Control` (short polling revalidates with `no-cache`).
 * With `RTW_CHECK_RESPONSES=1` the body is first checked against the route's
 * contract: a mismatch answers a 500 problem instead (`response-contract.ts`).
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const breach = responseContractProblem(response, status, body);
  if (breach !== undefined) return sendProblem(response, breach);
  const text = JSON.stringify(body);
  if (!response.hasHeader('Cache-Control')) response.setHeader('Cache-Control', 'no-store');
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
