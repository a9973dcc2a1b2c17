import type { ServerResponse } from 'node:http';

/**
 * Keeps the text an endpoint ends `response` with (`sendJson` writes a whole
 * JSON answer in one `end`), so an exercise run can see what its client was
 * sent without the endpoint knowing about exercises.
 * @returns a function that answers that text, or undefined before the end.
 */
export function captureEnd(response: ServerResponse): () => string | undefined {
  let text: string | undefined;
  const end = response.end.bind(response);
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') text = chunk;
    else if (Buffer.isBuffer(chunk)) text = chunk.toString('utf8');
    return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as ServerResponse['end'];
  return () => text;
}
