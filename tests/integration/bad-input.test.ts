import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { EVENT_LIMITS } from '../../src/protocol/events.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

interface BadRequest {
  name: string;
  method: string;
  path: string;
  body?: string | Uint8Array;
  contentType?: string;
  status: number;
  type?: string;
  /** A word the detail must contain, so it says what is wrong. */
  detail: RegExp;
}

const jsonType = 'application/json';
const cases: BadRequest[] = [
  // Channels
  {
    name: 'a channel name with a space',
    method: 'POST',
    path: '/api/channels/two%20words/events',
    body: '{"type":"t"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidChannel,
    detail: /channel/,
  },
  {
    name: 'a channel name of 65 characters',
    method: 'POST',
    path: `/api/channels/${'c'.repeat(65)}/events`,
    body: '{"type":"t"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidChannel,
    detail: /1–64/,
  },
  {
    name: 'a channel name with an encoded slash',
    method: 'POST',
    path: '/api/channels/a%2Fb/events',
    body: '{"type":"t"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidChannel,
    detail: /channel/,
  },
  {
    name: 'invalid percent-encoding',
    method: 'POST',
    path: '/api/channels/%E0%A4%A/events',
    body: '{"type":"t"}',
    contentType: jsonType,
    status: 400,
    detail: /percent-encoding/,
  },
  // Bodies
  {
    name: 'bad JSON',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"type": "t",',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidJson,
    detail: /not valid JSON/,
  },
  {
    name: 'invalid UTF-8',
    method: 'POST',
    path: '/api/channels/room/events',
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidJson,
    detail: /UTF-8/,
  },
  {
    name: 'an oversized body',
    method: 'POST',
    path: '/api/channels/room/events',
    body: JSON.stringify({ type: 't', data: 'x'.repeat(EVENT_LIMITS.maxBodyBytes) }),
    contentType: jsonType,
    status: 413,
    detail: /16384 bytes/,
  },
  {
    name: 'a text/plain body',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"type":"t"}',
    contentType: 'text/plain',
    status: 415,
    detail: /application\/json/,
  },
  {
    name: 'a body without Content-Type',
    method: 'POST',
    path: '/api/jobs',
    body: '{}',
    status: 415,
    detail: /application\/json/,
  },
  {
    name: 'no body where one is needed',
    method: 'POST',
    path: '/api/channels/room/events',
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /JSON body/,
  },
  {
    name: 'an array instead of an object',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '[1]',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /object/,
  },
  {
    name: 'JSON null',
    method: 'POST',
    path: '/api/jobs',
    body: 'null',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /object/,
  },
  {
    name: 'an event without type',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"data":1}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /type/,
  },
  {
    name: 'an event type with a space',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"type":"a b"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /type/,
  },
  {
    name: 'an unknown member (a typo)',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"type":"t","dta":1}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /dta/,
  },
  {
    name: 'a note without text',
    method: 'POST',
    path: '/api/channels/room/events',
    body: '{"type":"note","data":"hi"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /text/,
  },
  {
    name: 'a note too long',
    method: 'POST',
    path: '/api/channels/room/events',
    body: JSON.stringify({ type: 'note', data: { text: 'x'.repeat(281) } }),
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /280/,
  },
  // Jobs
  {
    name: 'a job duration too short',
    method: 'POST',
    path: '/api/jobs',
    body: '{"durationMs":999}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /durationMs/,
  },
  {
    name: 'a job duration too long',
    method: 'POST',
    path: '/api/jobs',
    body: '{"durationMs":120001}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /durationMs/,
  },
  {
    name: 'a job duration as a string',
    method: 'POST',
    path: '/api/jobs',
    body: '{"durationMs":"5000"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /string/,
  },
  {
    name: 'a fractional job duration',
    method: 'POST',
    path: '/api/jobs',
    body: '{"durationMs":1500.5}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /whole number/,
  },
  {
    name: 'an unknown job outcome',
    method: 'POST',
    path: '/api/jobs',
    body: '{"outcome":"maybe"}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidBody,
    detail: /outcome/,
  },
  {
    name: 'a job channel that is not a string',
    method: 'POST',
    path: '/api/jobs',
    body: '{"channel":42}',
    contentType: jsonType,
    status: 400,
    type: PROBLEM_TYPES.invalidChannel,
    detail: /a number/,
  },
  {
    name: 'an unknown job',
    method: 'GET',
    path: '/api/jobs/no-such-job',
    status: 404,
    type: PROBLEM_TYPES.unknownJob,
    detail: /no-such-job/,
  },
  // Routing
  { name: 'a wrong method', method: 'DELETE', path: '/api/jobs/abc', status: 405, detail: /DELETE/ },
  { name: 'GET on a POST-only path', method: 'GET', path: '/api/channels/room/events', status: 405, detail: /POST/ },
  {
    name: 'an unknown API path',
    method: 'GET',
    path: '/api/nothing/here',
    status: 404,
    detail: /\/api\/nothing\/here/,
  },
  { name: 'a trailing slash', method: 'GET', path: '/api/jobs/', status: 404, detail: /no API endpoint/ },
  { name: 'a page path on an API-only server', method: 'GET', path: '/lessons/', status: 404, detail: /API_ONLY/ },
];

/** Sends a request exactly as written (fetch would normalize the path). */
function send(baseUrl: string, test: BadRequest): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (test.contentType) headers['Content-Type'] = test.contentType;
    const request = httpRequest(`${baseUrl}${test.path}`, { method: test.method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on('error', reject);
    request.end(test.body);
  });
}

describe('bad input gets a 4xx problem, never a 500', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  for (const test of cases) {
    it(`${test.status} for ${test.name}`, async () => {
      const response = await send(server.baseUrl, test);

      assert.equal(response.status, test.status, response.text);
      assert.equal(response.headers['content-type'], PROBLEM_CONTENT_TYPE);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      const problem = JSON.parse(response.text) as ProblemDetails;
      assert.equal(problem.status, test.status);
      assert.equal(problem.type, test.type ?? PROBLEM_TYPES.generic);
      assert.equal(typeof problem.title, 'string');
      assert.ok(problem.title.length > 0);
      assert.match(problem.detail, test.detail);
    });
  }

  it('lists the allowed methods on a 405', async () => {
    const response = await fetch(`${server.baseUrl}/api/jobs`, { method: 'PUT' });
    await response.arrayBuffer();
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  it('answers HEAD on an unknown job with 404 and no body', async () => {
    const response = await fetch(`${server.baseUrl}/api/jobs/nope`, { method: 'HEAD' });
    assert.equal(response.status, 404);
    assert.equal(await response.text(), '');
  });

  it('refuses an oversized chunked body (no Content-Length) with 413', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"type":"t","data":"${'x'.repeat(EVENT_LIMITS.maxBodyBytes)}"}`));
        controller.close();
      },
    });
    const response = await fetch(`${server.baseUrl}/api/channels/room/events`, {
      method: 'POST',
      headers: { 'Content-Type': jsonType },
      body,
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 413);
    await response.arrayBuffer();
  });

  it('logged no server error for any of them', () => {
    assert.deepEqual(server.errors, []);
  });
});
