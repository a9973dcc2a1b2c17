import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULT_LIMITS, type FaultRequest, type FaultResponse } from '../../src/protocol/faults.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

describe('injecting faults', () => {
  let server: RunningServer;
  const inject = (channel: string, body: string, contentType = 'application/json') =>
    fetch(`${server.baseUrl}${apiRoutes.channelFaults.path({ channel })}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });

  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  const accepted: FaultRequest[] = [
    { type: 'drop-next-response' },
    { type: 'server-errors', count: 1 },
    { type: 'server-errors', count: FAULT_LIMITS.maxServerErrors },
    { type: 'slow', delayMs: 0, durationMs: FAULT_LIMITS.minDurationMs },
    { type: 'slow', delayMs: FAULT_LIMITS.maxDelayMs, durationMs: FAULT_LIMITS.maxDurationMs },
    { type: 'kill-streams' },
    { type: 'restart-streams' },
    { type: 'heartbeats', enabled: false },
    { type: 'heartbeats', enabled: true },
    { type: 'retry', retryMs: FAULT_LIMITS.minRetryMs },
    { type: 'retry', retryMs: FAULT_LIMITS.maxRetryMs },
  ];
  for (const fault of accepted) {
    it(`accepts ${JSON.stringify(fault)} with 202 {type, affected}`, async () => {
      const response = await inject('faults-ok', JSON.stringify(fault));
      assert.equal(response.status, 202);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual((await response.json()) as FaultResponse, { type: fault.type, affected: 0 });
    });
  }

  const refused: { name: string; body: string; type: string; field?: string }[] = [
    { name: 'an unknown type', body: '{"type":"meteor"}', type: PROBLEM_TYPES.invalidBody, field: 'type' },
    { name: 'no type', body: '{"count":1}', type: PROBLEM_TYPES.invalidBody, field: 'type' },
    { name: 'a type that is not a string', body: '{"type":7}', type: PROBLEM_TYPES.invalidBody, field: 'type' },
    { name: 'an array', body: '[]', type: PROBLEM_TYPES.invalidBody },
    { name: 'a string', body: '"slow"', type: PROBLEM_TYPES.invalidBody },
    { name: 'bad JSON', body: '{"type":', type: PROBLEM_TYPES.invalidJson },
    { name: 'an unknown member', body: '{"type":"slow","delay":5}', type: PROBLEM_TYPES.invalidBody, field: 'delay' },
    {
      name: 'a member of another fault',
      body: '{"type":"kill-streams","count":1}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'count',
    },
    { name: 'count 0', body: '{"type":"server-errors","count":0}', type: PROBLEM_TYPES.invalidBody, field: 'count' },
    { name: 'count 11', body: '{"type":"server-errors","count":11}', type: PROBLEM_TYPES.invalidBody, field: 'count' },
    { name: 'count 1.5', body: '{"type":"server-errors","count":1.5}', type: PROBLEM_TYPES.invalidBody, field: 'count' },
    { name: 'count "3"', body: '{"type":"server-errors","count":"3"}', type: PROBLEM_TYPES.invalidBody, field: 'count' },
    { name: 'a missing count', body: '{"type":"server-errors"}', type: PROBLEM_TYPES.invalidBody, field: 'count' },
    {
      name: 'delayMs -1',
      body: '{"type":"slow","delayMs":-1,"durationMs":5000}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'delayMs',
    },
    {
      name: 'delayMs 10001',
      body: '{"type":"slow","delayMs":10001,"durationMs":5000}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'delayMs',
    },
    {
      name: 'durationMs 999',
      body: '{"type":"slow","delayMs":100,"durationMs":999}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'durationMs',
    },
    {
      name: 'durationMs 120001',
      body: '{"type":"slow","delayMs":100,"durationMs":120001}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'durationMs',
    },
    { name: 'retryMs 499', body: '{"type":"retry","retryMs":499}', type: PROBLEM_TYPES.invalidBody, field: 'retryMs' },
    {
      name: 'retryMs 60001',
      body: '{"type":"retry","retryMs":60001}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'retryMs',
    },
    {
      name: 'enabled "no"',
      body: '{"type":"heartbeats","enabled":"no"}',
      type: PROBLEM_TYPES.invalidBody,
      field: 'enabled',
    },
  ];
  for (const { name, body, type, field } of refused) {
    it(`refuses ${name} with a 400 problem`, async () => {
      const response = await inject('faults-bad', body);
      const problem = (await response.json()) as ProblemDetails;

      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
      assert.equal(problem.type, type);
      assert.equal(problem.field, field);
      assert.ok(problem.detail.length > 0);
    });
  }

  it('refuses a bad channel name', async () => {
    const response = await inject('a%20b', '{"type":"kill-streams"}');
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as ProblemDetails).type, PROBLEM_TYPES.invalidChannel);
  });

  it('refuses a body that is not JSON (415) and no body at all (400)', async () => {
    const wrongType = await inject('faults-bad', 'type=slow', 'application/x-www-form-urlencoded');
    assert.equal(wrongType.status, 415);
    await wrongType.arrayBuffer();
    const empty = await fetch(`${server.baseUrl}${apiRoutes.channelFaults.path({ channel: 'faults-bad' })}`, { method: 'POST' });
    assert.equal(empty.status, 400);
    await empty.arrayBuffer();
  });

  it('answers 405 to GET', async () => {
    const response = await fetch(`${server.baseUrl}${apiRoutes.channelFaults.path({ channel: 'faults-bad' })}`);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    await response.arrayBuffer();
  });

  it('logs no error for any of it', () => {
    assert.deepEqual(server.errors, []);
  });
});
