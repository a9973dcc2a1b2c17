import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { expectResponses } from '../../server/http/response-contract.ts';
import { sendJson } from '../../server/http/send-json.ts';
import type { Logger } from '../../server/logger.ts';
import { API_ROUTE_LIST } from '../../src/protocol/api-routes.ts';
import { type Exchange, exchangeOf } from '../../src/protocol/api-schemas.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { jobResponse } from '../../src/protocol/response-schemas.ts';

/** A job with its `note` missing: what a server drifting from `Job` would send. */
const driftedJob = { id: 'j1', channel: 'c', state: 'running', progress: 40, version: 3, createdAt: 1, updatedAt: 2 };
const job = { ...driftedJob, note: null };

/** A job route whose contract says 200 is a `Job` and 304 has no body. */
const jobExchange: Exchange = { body: null, query: null, responses: { 200: jobResponse, 304: { notJson: 'headers only' } } };

describe('the response contract, as sendJson holds a response to it', () => {
  let server: Server;
  let baseUrl: string;
  const logged: string[] = [];
  const logger: Logger = { info: () => {}, warn: () => {}, error: (message) => logged.push(message) };

  before(async () => {
    // A real server: /held/<status>?body=<json> answers that through sendJson, held to jobExchange; /free is held to nothing.
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const [, kind, status] = url.pathname.split('/');
      if (kind === 'held') expectResponses(response, { method: 'GET', pattern: '/api/jobs/:id', logger, exchange: jobExchange });
      sendJson(response, Number(status), JSON.parse(url.searchParams.get('body') ?? 'null'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string, body: unknown) => fetch(`${baseUrl}${path}?body=${encodeURIComponent(JSON.stringify(body))}`);

  it('sends a body the schema accepts as it is', async () => {
    const response = await get('/held/200', job);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), job);
  });

  it('answers 500 response-contract instead of a body the schema refuses, and logs it as one JSON line', async () => {
    logged.length = 0;
    const response = await get('/held/200', driftedJob);
    const problem = (await response.json()) as ProblemDetails;

    assert.equal(response.status, 500);
    assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(problem.type, PROBLEM_TYPES.responseContract);
    assert.equal(problem.route, 'GET /api/jobs/:id');
    assert.match(problem.detail, /note/);
    assert.equal(logged.length, 1);
    const line = logged[0]!;
    assert.ok(line.startsWith('response-contract '));
    assert.deepEqual(JSON.parse(line.slice('response-contract '.length)), {
      route: 'GET /api/jobs/:id',
      status: 200,
      mismatch: JSON.parse(line.slice('response-contract '.length)).mismatch,
    });
    assert.match(JSON.parse(line.slice('response-contract '.length)).mismatch, /^note: /);
  });

  it('refuses a member the type does not name (the schemas are strict)', async () => {
    const response = await get('/held/200', { ...job, secret: 'leaked' });
    assert.equal(response.status, 500);
    assert.match(((await response.json()) as ProblemDetails).detail, /secret/);
  });

  it('refuses JSON with a status the contract does not list, or lists as not JSON', async () => {
    const unlisted = await get('/held/201', job);
    assert.equal(unlisted.status, 500);
    assert.match(((await unlisted.json()) as ProblemDetails).detail, /lists no 201 answer \(it lists 200, 304\)/);
    const notJson = await get('/held/304', job);
    assert.equal(notJson.status, 500);
    assert.match(((await notJson.json()) as ProblemDetails).detail, /not JSON in the contract: headers only/);
  });

  it('leaves a response nothing holds alone: production, where the check is off', async () => {
    const response = await get('/free/200', driftedJob);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), driftedJob);
  });
});

describe('the contract registry (src/protocol/api-schemas.ts)', () => {
  it('has an exchange for every method of every route of the table, and HEAD is GET', () => {
    assert.deepEqual(
      API_ROUTE_LIST.filter(({ method, pattern }) => exchangeOf(pattern, method) === undefined),
      [],
    );
    assert.equal(exchangeOf('/api/jobs/:id', 'HEAD'), exchangeOf('/api/jobs/:id', 'GET'));
    assert.equal(exchangeOf('/api/no-such-route', 'GET'), undefined);
  });
});
