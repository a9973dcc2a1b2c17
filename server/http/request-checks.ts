import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { ProblemInit } from './problem.ts';

/** 421 for a Host this server is not reached at (RFC 9110 §15.5.20): a DNS-rebinding page, most likely. */
export function misdirected(host: string | undefined): ProblemInit {
  return {
    status: 421,
    detail: `This server does not answer to the host ${JSON.stringify(host?.slice(0, 200))}; set ALLOWED_HOSTS to the names it is reached at.`,
  };
}

/** Whether a path decodes: `/%ZZ` cannot name anything. */
export function decodesAsPath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/** Whether the API answers `pathname` (its 404 is a problem, not the site's 404 page). */
export function isApiPath(pathname: string): boolean {
  return pathname === apiRoutes.health.path() || pathname === apiRoutes.ready.path() || pathname === '/api' || pathname.startsWith('/api/');
}
