import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';

/** A pool reconnects on the next query, so a few seconds is a fair wait before retrying. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The database could not be reached while answering a request. It is an
 * {@link HttpProblem}, so wherever a store throws it the app answers
 * `503 backend-unavailable` with `Retry-After` (the client may retry, maybe on
 * another instance), not a 500 that blames the server's code.
 */
export class DatabaseUnavailable extends HttpProblem {
  override name = 'DatabaseUnavailable';

  constructor(cause: unknown) {
    super({
      status: 503,
      type: PROBLEM_TYPES.backendUnavailable,
      detail: 'The database cannot be reached from this server right now; try again in a few seconds.',
      headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    });
    this.cause = cause;
  }
}

/** Errors of the socket under a connection: the server is down, restarting, or out of reach. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** What node-postgres throws, without a code, when a connection fails or is cut, or the pool waited too long for one. */
const LOST_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Whether `error` says the database is unreachable or refusing work for now,
 * rather than that a query is wrong. SQLSTATE classes (PostgreSQL, appendix A):
 * 08 connection exception, 53 insufficient resources (e.g. too many
 * connections), 57P01–57P03 the server is shutting down or starting.
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code)) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true;
  }
  // Node reports a refused dual-stack connect as an AggregateError of one error per address.
  if (error instanceof AggregateError) return error.errors.some(isUnreachable);
  return LOST_CONNECTION_MESSAGE.test(error.message);
}
