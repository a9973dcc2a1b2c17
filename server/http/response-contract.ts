import type { ServerResponse } from 'node:http';
import type * as z from 'zod/mini';
import { type Exchange, exchangeOf, isJsonAnswer } from '../../src/protocol/api-schemas.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { Logger } from '../logger.ts';
import type { ProblemInit } from './problem.ts';

/** What a response is held to: its route's exchange, and where a mismatch is logged. */
interface Expectation {
  /** `GET /api/jobs/:id`, for the log and the problem. */
  route: string;
  exchange: Exchange;
  logger: Logger;
}

const expectations = new WeakMap<ServerResponse, Expectation>();

/**
 * Holds `response` to the contract of `method` on `pattern` (`src/protocol/api-schemas.ts`),
 * or to `exchange` when given (a test registering a wrong one): every JSON
 * body {@link sendJson} then writes on it is checked first. The app calls this
 * for each routed request with `RTW_CHECK_RESPONSES=1` only: parsing every
 * answer twice is a cost production does not pay.
 */
export function expectResponses(
  response: ServerResponse,
  {
    method,
    pattern,
    logger,
    exchange = exchangeOf(pattern, method),
  }: { method: string; pattern: string; logger: Logger; exchange?: Exchange },
): void {
  if (exchange === undefined) return;
  expectations.set(response, { route: `${method} ${pattern}`, exchange, logger });
}

/**
 * Checks the JSON `body` about to be sent with `status` on `response`, when
 * {@link expectResponses} holds it to a contract: a status the contract does
 * not list, one it lists as not JSON, or a body its schema refuses is logged
 * (one structured line: route, status, the schema's issues) and turned into
 * a 500 `response-contract` problem, so the test that provoked it fails.
 * @returns the problem to send instead, or undefined when the body may go.
 */
export function responseContractProblem(response: ServerResponse, status: number, body: unknown): ProblemInit | undefined {
  const expectation = expectations.get(response);
  if (expectation === undefined) return undefined;
  const { route, exchange, logger } = expectation;
  const answer = exchange.responses[status];
  let mismatch: string | undefined;
  if (answer === undefined) mismatch = `the contract lists no ${status} answer (it lists ${Object.keys(exchange.responses).join(', ')})`;
  else if (!isJsonAnswer(answer)) mismatch = `a ${status} answer is not JSON in the contract: ${answer.notJson}`;
  else {
    const result = answer.safeParse(body);
    if (!result.success) {
      mismatch = result.error.issues.map(describeIssue).join('; ');
    }
  }
  if (mismatch === undefined) return undefined;
  logger.error(`response-contract ${JSON.stringify({ route, status, mismatch })}`);
  return {
    status: 500,
    type: PROBLEM_TYPES.responseContract,
    detail: `${route} was about to answer ${status} with JSON its contract (src/protocol/api-schemas.ts) does not allow: ${mismatch}.`,
    extensions: { route, answeredStatus: status },
  };
}

/** One issue, for a developer: zod/mini carries no messages, so say what was expected where. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.join('/') || '(the body)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: members the type does not name: ${issue.keys.join(', ')}`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_big':
      return `${where}: at most ${issue.maximum}`;
    case 'too_small':
      return `${where}: at least ${issue.minimum}`;
    default:
      return `${where}: ${issue.code}${issue.message && issue.message !== 'Invalid input' ? ` (${issue.message})` : ''}`;
  }
}
