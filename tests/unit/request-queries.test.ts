import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpProblem } from '../../server/http/problem.ts';
import { readQuery } from '../../server/http/query.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { longPollQuery, resumeQuery, sseQuery } from '../../src/protocol/request-queries.ts';

/** The problem `readQuery` throws for `query`. */
function refusal(query: string, schema: Parameters<typeof readQuery>[1]) {
  try {
    readQuery(new URLSearchParams(query), schema);
  } catch (error) {
    assert.ok(error instanceof HttpProblem);
    return { status: error.status, type: error.init.type, parameter: error.init.extensions?.parameter, detail: error.init.detail };
  }
  return assert.fail('accepted');
}

describe('query parameters, as the server checks them', () => {
  it('name the parameter, its value and what it must be', () => {
    assert.deepEqual(refusal('heartbeat=999', sseQuery), {
      status: 400,
      type: PROBLEM_TYPES.invalidQuery,
      parameter: 'heartbeat',
      detail: '"heartbeat" is "999"; it must be a whole number from 1000 to 60000.',
    });
    assert.equal(refusal('cursor=0&timeout=1e3', longPollQuery).detail, '"timeout" is "1e3"; it must be a whole number, at least 0.');
  });

  it('say a required parameter is missing, and what it must be', () => {
    assert.deepEqual(refusal('timeout=5', longPollQuery), {
      status: 400,
      type: PROBLEM_TYPES.invalidQuery,
      parameter: 'cursor',
      detail: '"cursor" is missing; it must be a whole number from 0 to 9007199254740991.',
    });
  });

  it('refuse a parameter given twice, whichever value would be right', () => {
    assert.equal(refusal('lastEventId=4&lastEventId=4', resumeQuery).detail, '"lastEventId" is given 2 times; give it once.');
  });

  it('return the numbers, and leave the parameters the schema does not name alone', () => {
    assert.deepEqual(readQuery(new URLSearchParams('cursor=7&timeout=0&lab=abc&via=sse&cursor2=x'), longPollQuery), {
      cursor: 7,
      timeout: 0,
    });
    assert.deepEqual(readQuery(new URLSearchParams('lastEventId=12&heartbeat=1000'), sseQuery), { lastEventId: '12', heartbeat: 1000 });
    assert.deepEqual(readQuery(new URLSearchParams(''), sseQuery), {});
  });
});
