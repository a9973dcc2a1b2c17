import { SERVER_TIME_HEADER, type Job } from '../../src/protocol/jobs.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteHandler } from '../http/router.ts';
import { dropBodyHeaders } from '../http/security-headers.ts';
import { sendJson } from '../http/send-json.ts';

/** Where the handler finds jobs: the job simulation, the jobs of every instance (Redis), or a stub in tests. */
export interface JobLookup {
  get(id: string): Job | undefined | Promise<Job | undefined>;
}

/**
 * `GET /api/jobs/{id}` — the endpoint a short-polling client asks again and
 * again. It answers `200` with the job and a strong `ETag`, or `304 Not
 * Modified` with no body when the client's `If-None-Match` already names the
 * current version. Both carry `x-server-time`, the server's clock, so the
 * widget can show how stale its copy is. HEAD is answered too (no body).
 *
 * The lesson shows the two regions below; keep them short and commented.
 */
// #region get-job
export function getJobRoute(jobs: JobLookup): RouteHandler {
  return async ({ request, response, params }) => {
    const job = await jobs.get(params.id ?? '');
    if (!job) {
      throw new HttpProblem({
        status: 404,
        type: PROBLEM_TYPES.unknownJob,
        detail: `No job has the id ${JSON.stringify(params.id?.slice(0, 80))}; it never existed or finished long ago.`,
      });
    }

    // The ETag names this version of the job, so it changes exactly when the job does.
    // A strong validator (no W/ prefix): same tag, same bytes (RFC 9110 §8.8.3).
    const etag = `"${job.id}.${job.version}"`;
    response.setHeader('ETag', etag);
    // no-cache: caches may keep the answer but must ask the server before reusing it (RFC 9111 §5.2.2.4).
    response.setHeader('Cache-Control', 'no-cache');
    // The server's clock, so the client can measure how old its copy is.
    response.setHeader(SERVER_TIME_HEADER, String(Date.now()));

    // The client already holds this version: "nothing changed" costs headers only (RFC 9110 §15.4.5).
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      dropBodyHeaders(response);
      response.writeHead(304).end();
      return;
    }
    sendJson(response, 200, job);
  };
}
// #endregion get-job

// #region if-none-match
/**
 * Does an `If-None-Match` header match `etag`? (RFC 9110 §13.1.2)
 * - `*` matches whatever the current version is;
 * - otherwise it is a list of entity tags, `"a", W/"b"`, and one equal tag is enough;
 * - the comparison is weak: `W/"x"` and `"x"` count as equal (RFC 9110 §8.8.3.2).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  // A tag may contain a comma ("a,b" is legal), so pick the quoted tags out rather than split on commas.
  const tags = header.match(/(?:W\/)?"[^"]*"/g) ?? [];
  const opaque = (tag: string) => tag.replace(/^W\//, '');
  return tags.some((tag) => opaque(tag) === opaque(etag));
}
// #endregion if-none-match
