import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBody } from '../../server/http/parse-body.ts';
import { HttpProblem } from '../../server/http/problem.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import {
  faultRequest,
  heartbeatRequest,
  joinWorkshopRequest,
  publishRequest,
  runLabRequest,
  startJobRequest,
  workshopStateRequest,
} from '../../src/protocol/request-bodies.ts';
import { displayNameProblem, WORKSHOP_LIMITS } from '../../src/protocol/workshops.ts';

/** The problem `parseBody` throws for `body`. */
function refusal(schema: Parameters<typeof parseBody>[0], body: unknown) {
  try {
    parseBody(schema, body);
  } catch (error) {
    assert.ok(error instanceof HttpProblem);
    return { status: error.status, type: error.init.type, field: error.init.extensions?.field, detail: error.init.detail };
  }
  return assert.fail('accepted');
}

describe('request bodies, as the server checks them', () => {
  it('name the field, its value and what it must be', () => {
    assert.deepEqual(refusal(runLabRequest, { ratePerMinute: 60, durationMs: 10.5 }), {
      status: 400,
      type: PROBLEM_TYPES.invalidBody,
      field: 'durationMs',
      detail: '"durationMs" is 10.5; it must be a whole number of milliseconds from 5000 to 3600000.',
    });
    assert.equal(
      refusal(startJobRequest, { durationMs: '5000' }).detail,
      '"durationMs" is the string "5000"; it must be a whole number of milliseconds from 1000 to 120000.',
    );
    assert.equal(refusal(workshopStateRequest, {}).detail, '"state" is missing; it must be one of open, locked, closed.');
  });

  it('report an unknown member and a body that is not an object', () => {
    assert.deepEqual(refusal(runLabRequest, { ratePerMinute: 60, durationMs: 10_000, rate: 1 }), {
      status: 400,
      type: PROBLEM_TYPES.invalidBody,
      field: 'rate',
      detail: 'The body has an unknown member "rate"; allowed: ratePerMinute, durationMs.',
    });
    assert.equal(
      refusal(faultRequest, { type: 'slow', delayMs: 5, durationMs: 2_000, count: 3 }).detail,
      'The body has an unknown member "count"; allowed: type, delayMs, durationMs.',
      'a fault lists the members of its own type',
    );
    assert.equal(refusal(faultRequest, { type: 'slow', delay: 5 }).field, 'delay', 'the typo, not the member it leaves missing');
    assert.equal(refusal(publishRequest, [1]).detail, 'The body must be a JSON object, not an array.');
    assert.equal(refusal(startJobRequest, null).detail, 'The body must be a JSON object, not null.');
  });

  it("give a refinement's sentence and problem type, naming the field by its path (channels/1)", () => {
    assert.deepEqual(refusal(heartbeatRequest, { lesson: null, channels: ['ok', 'two words'] }), {
      status: 400,
      type: PROBLEM_TYPES.invalidChannel,
      field: 'channels/1',
      detail: '"two words" is not a channel name (1–64 characters of A–Z a–z 0–9 _ -).',
    });
    assert.equal(refusal(publishRequest, { type: 'note', data: {} }).field, 'data');
    const tooMany = Array.from({ length: WORKSHOP_LIMITS.maxChannelsPerMember + 1 }, (_, index) => `c${index}`);
    assert.match(refusal(heartbeatRequest, { lesson: null, channels: tooMany }).detail, /at most 12 demo channels; this one has 13/);
  });

  it("run the join form's own check on a name, and store it clean", () => {
    for (const typed of ['Ada\tLovelace', '   ', 'x'.repeat(WORKSHOP_LIMITS.maxNameLength + 1), '<b>']) {
      assert.deepEqual(refusal(joinWorkshopRequest, { name: typed }), {
        status: 400,
        type: PROBLEM_TYPES.invalidName,
        field: 'name',
        detail: displayNameProblem(typed),
      });
    }
    assert.equal(refusal(joinWorkshopRequest, { name: 7 }).detail, 'The name must be a string, not a number.');
    assert.deepEqual(parseBody(joinWorkshopRequest, { name: '  Ada   Lovelace ' }), { name: 'Ada Lovelace' });
  });

  it('return the output type: defaults left to the server, duplicates removed', () => {
    assert.deepEqual(parseBody(startJobRequest, {}), {});
    assert.deepEqual(parseBody(heartbeatRequest, { lesson: 'sse', channels: ['a', 'a', 'b'] }), { lesson: 'sse', channels: ['a', 'b'] });
  });
});
