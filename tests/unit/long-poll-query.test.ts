import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LONG_POLL_LIMITS } from '../../src/protocol/long-polling.ts';
import { HttpProblem } from '../../server/http/problem.ts';
import { parseLongPollQuery } from '../../server/techniques/long-polling.ts';

const parse = (query: string) => parseLongPollQuery(new URLSearchParams(query));

describe('parseLongPollQuery', () => {
  it('reads the cursor and defaults the timeout to 25 s', () => {
    assert.deepEqual(parse('cursor=42'), { cursor: 42, timeoutMs: LONG_POLL_LIMITS.defaultTimeoutMs });
    assert.deepEqual(parse('cursor=0&timeout=0'), { cursor: 0, timeoutMs: 0 });
    assert.deepEqual(parse(`cursor=${Number.MAX_SAFE_INTEGER}`).cursor, Number.MAX_SAFE_INTEGER);
  });

  it('cuts a timeout above 30 s to 30 s', () => {
    assert.equal(parse('cursor=0&timeout=30000').timeoutMs, 30_000);
    assert.equal(parse('cursor=0&timeout=30001').timeoutMs, LONG_POLL_LIMITS.maxTimeoutMs);
    assert.equal(parse('cursor=0&timeout=99999999999999999999999').timeoutMs, LONG_POLL_LIMITS.maxTimeoutMs);
  });

  for (const [query, parameter] of [
    ['', 'cursor'],
    ['cursor=', 'cursor'],
    ['cursor=-1', 'cursor'],
    ['cursor=+1', 'cursor'],
    ['cursor=0x10', 'cursor'],
    ['cursor=9007199254740992', 'cursor'],
    ['cursor=0&timeout=-5', 'timeout'],
    ['cursor=0&timeout=1.5', 'timeout'],
    ['cursor=0&timeout=1e3', 'timeout'],
    ['cursor=0&timeout=1&timeout=2', 'timeout'],
  ] as const) {
    it(`refuses ${JSON.stringify(query)}, naming ${parameter}`, () => {
      assert.throws(
        () => parse(query),
        (error: unknown) => error instanceof HttpProblem && error.status === 400 && error.init.extensions?.parameter === parameter,
      );
    });
  }
});
