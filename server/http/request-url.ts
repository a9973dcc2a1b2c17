import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem.ts';

/**
 * Parses the request target. `new URL(req.url, base)` would read `//evil/x`
 * as a host name, so the origin-form target (RFC 9112 §3.2.1) is appended to
 * a fixed origin instead; only the path and query of the result are used.
 *
 * @throws {HttpProblem} 400 for a target that is not a path (e.g. `*`).
 */
export function parseRequestUrl(request: IncomingMessage): URL {
  const target = request.url ?? '/';
  if (target.startsWith('/')) return new URL(`http://workbook.invalid${target}`);
  // Absolute form (RFC 9112 §3.2.2) is what a client sends to a proxy; a server must accept it too.
  if (/^https?:\/\//i.test(target) && URL.canParse(target)) return new URL(target);
  throw new HttpProblem({ status: 400, detail: `The request target ${JSON.stringify(target)} is not a path.` });
}
