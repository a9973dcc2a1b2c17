import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { Logger } from '../logger.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { HttpProblem, sendProblem } from './problem.ts';

/**
 * Answers a request whose handler threw: its problem for an {@link HttpProblem},
 * 503 while Redis is down, nothing to a client that left, else a logged 500.
 * Once the headers are sent it is too late for a status: the response is cut.
 */
export function answerError(request: IncomingMessage, response: ServerResponse, error: unknown, logger: Logger): void {
  if (response.headersSent) {
    // Too late for a status: cut the response so the client sees it is incomplete.
    if (!(error instanceof HttpProblem)) logger.error(`Failed while answering ${request.method} ${request.url}:`, error);
    response.destroy();
    return;
  }
  if (error instanceof HttpProblem) {
    sendProblem(response, error.init);
    return;
  }
  if (error instanceof BackplaneUnavailableError) {
    // Redis is down: a clear answer now beats a request hanging until it is back.
    sendProblem(response, {
      status: 503,
      type: PROBLEM_TYPES.backendUnavailable,
      detail: `${error.message}. Nothing was published or changed; try again in a few seconds.`,
      headers: { 'Retry-After': '2' },
    });
    return;
  }
  // A request is destroyed too once its body was read to the end: only a body cut short means the client left.
  if (request.socket.destroyed || (request.destroyed && !request.complete)) {
    // The client left while we read its body: nobody is listening for an answer.
    response.destroy();
    return;
  }
  logger.error(`Unexpected error while answering ${request.method} ${request.url}:`, error);
  sendProblem(response, { status: 500, detail: 'The server failed unexpectedly; the error is in its log.' });
}
