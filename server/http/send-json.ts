import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Writes `body` as a JSON response with an exact `Content-Length`. API answers
 * change from one request to the next, so they are `no-store` unless the caller
 * set its own `Cache-Control` (short polling revalidates with `no-cache`).
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  if (!response.hasHeader('Cache-Control')) response.setHeader('Cache-Control', 'no-store');
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}
