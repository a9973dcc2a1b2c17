import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '../../src/protocol/problem.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';

/** Sends exactly `method` and `rawPath` (fetch refuses TRACE and normalises paths). */
function send(
  baseUrl: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}/`, { method, path: rawPath, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Writes `raw` on a new TCP connection and reads until the server closes it. */
function sendRaw(baseUrl: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('odd requests', () => {
  let siteDir: string;
  let server: RunningServer;

  before(async () => {
    // Pages on, but not built: whatever reaches the renderer would answer 503.
    siteDir = await mkdtemp(path.join(tmpdir(), 'workbook-odd-'));
    server = await startServer({ config: { apiOnly: false, siteDir } });
  });
  after(async () => {
    await server.stop();
    await rm(siteDir, { recursive: true, force: true });
  });

  it('answers TRACE, which no resource here supports, with 501, on pages and on the API', async () => {
    for (const target of ['/', '/api/jobs', '/healthz']) {
      const answer = await send(server.baseUrl, 'TRACE', target);
      assert.equal(answer.status, 501, target);
      assert.equal(answer.headers['content-type'], PROBLEM_CONTENT_TYPE);
      assert.match((JSON.parse(answer.text) as ProblemDetails).detail, /TRACE/);
    }
  });

  it('answers a method the API has but a page has not with 405 and Allow', async () => {
    const answer = await send(server.baseUrl, 'POST', '/lessons/short-polling/', { 'Content-Type': 'text/plain' }, 'x');
    assert.equal(answer.status, 405);
    assert.equal(answer.headers.allow, 'GET, HEAD');
  });

  it('answers a path that is not valid percent-encoding with 400, on pages and on the API', async () => {
    for (const target of ['/%ZZ', '/lessons/%E0%A4%A', '/api/jobs/%ZZ']) {
      const answer = await send(server.baseUrl, 'GET', target);
      assert.equal(answer.status, 400, target);
      assert.equal(answer.headers['content-type'], PROBLEM_CONTENT_TYPE);
    }
  });

  it('answers a request that is not HTTP with a 400 problem', async () => {
    const text = await sendRaw(server.baseUrl, 'HELLO THERE\r\n\r\n');
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(text, /Content-Type: application\/problem\+json/);
  });

  it('refuses a JSON body declared in another charset than UTF-8 with 415', async () => {
    const body = JSON.stringify({ type: 'note', data: { text: 'hé' } });
    for (const charset of ['utf-16', 'UTF-16LE', '"iso-8859-1"']) {
      const answer = await send(
        server.baseUrl,
        'POST',
        '/api/channels/charsets/events',
        { 'Content-Type': `application/json; charset=${charset}` },
        Buffer.from(body, charset.startsWith('"') ? 'latin1' : 'utf16le'),
      );
      assert.equal(answer.status, 415, charset);
      assert.equal(answer.headers['content-type'], PROBLEM_CONTENT_TYPE);
      assert.match((JSON.parse(answer.text) as ProblemDetails).detail, /UTF-8/);
    }
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8']) {
      const answer = await send(
        server.baseUrl,
        'POST',
        '/api/channels/charsets/events',
        { 'Content-Type': `application/json;charset=${charset}` },
        body,
      );
      assert.equal(answer.status, 201, charset);
    }
  });

  it('logs no error and no stack trace for any of these client mistakes', () => {
    assert.deepEqual(server.errors, []);
    assert.deepEqual(
      server.warnings.filter((line) => /Error|at /.test(line)),
      [],
    );
  });
});
