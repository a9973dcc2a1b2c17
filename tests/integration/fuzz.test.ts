import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { API_ROUTE_LIST, apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { LEARNER_COOKIE } from '../../src/protocol/progress.ts';
import { WS_CLOSE, WS_LIMITS, WS_PATH } from '../../src/protocol/websocket.ts';
import { workshopClient } from './helpers/workshops.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';

/**
 * The fuzz suite (docs/security.md, "Fuzzing"): generated requests against
 * every API route the router knows, and generated WebSocket traffic, from one
 * seed. Run it again with the seed it prints to get the very same requests:
 *
 *   FUZZ_SEED=1234 node --test --test-force-exit tests/integration/fuzz.test.ts
 *
 * It asserts what must hold whatever a client sends: no 5xx but the
 * documented 502/503 problems, every 4xx an `application/problem+json` with
 * the four standard members, nothing logged as an error, and a server that
 * still works afterwards.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const HTTP_REQUESTS = Number(process.env.FUZZ_HTTP_REQUESTS ?? 10_000);
const WS_MESSAGES = Number(process.env.FUZZ_WS_MESSAGES ?? 2_000);
console.log(`fuzz: FUZZ_SEED=${SEED} (${HTTP_REQUESTS} HTTP requests, ${WS_MESSAGES} WebSocket messages)`);

/** mulberry32: small, fast and the same on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Gen {
  readonly random: () => number;
  constructor(seed: number) {
    this.random = prng(seed);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  string(max = 12): string {
    const alphabet = 'abcXYZ019_-.~ %/\\"\'<>{}[]:;,\n\r\t\0é☃😀';
    return Array.from({ length: this.int(0, max) }, () => this.pick([...alphabet])).join('');
  }
}

/** 503s (and the 502) the API documents: a capacity or a deliberate failure, each a problem with its own type. */
/** Every method some route accepts: any other is answered 501 (RFC 9110 §15.6.2). */
const ROUTE_METHODS: ReadonlySet<string> = new Set(API_ROUTE_LIST.map((route) => route.method));

const DOCUMENTED_5XX = new Set<string>([
  PROBLEM_TYPES.tooManyJobs,
  PROBLEM_TYPES.tooManyBuilds,
  PROBLEM_TYPES.backendUnavailable,
  PROBLEM_TYPES.injectedFault,
  PROBLEM_TYPES.draining,
  PROBLEM_TYPES.tooManyScalingDemos,
  PROBLEM_TYPES.tooManyExperiments,
  PROBLEM_TYPES.backplaneMissing,
  PROBLEM_TYPES.instanceDown,
]);

/** Routes whose answer may be held or streamed: the suite reads their head, then hangs up. */
const HOLDING = /long-poll|\/sse\/|\/stream$|\/connect$/;

/** Every body member name the API knows, so generated bodies often get past the first checks. */
const MEMBERS = [
  'type',
  'data',
  'channel',
  'durationMs',
  'outcome',
  'title',
  'name',
  'lesson',
  'channels',
  'streaming',
  'done',
  'text',
  'state',
  'backplane',
  'clients',
  'strategy',
  'transport',
  'readBytesPerSecond',
  'fleet',
  'retryMs',
  'spreadMs',
  'count',
  'delayMs',
  'enabled',
  'lessons',
  'techniques',
  'eventsPerSecond',
  'seconds',
  'on',
  'quiz',
  'completedAt',
  'sections',
];

describe(`fuzzing the API and the WebSocket endpoint (FUZZ_SEED=${SEED})`, () => {
  let server: RunningServer;
  let workshop: { code: string; secret: string; learnerId: string };
  const gen = new Gen(SEED);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  before(async () => {
    server = await startServer({
      // No child processes: a valid start of lesson 8's pair gets the documented 503.
      scaling: { redisServer: null, limits: { maxDemos: 0 } },
      production: {
        maxRunning: 1,
        storm: { maxRecordMs: 1_000, connectTimeoutMs: 500 },
        drain: { maxRecordMs: 1_000 },
        slowConsumer: { maxRunMs: 1_000 },
      },
      jobLimits: { maxJobs: 50 },
      buildLimits: { maxRunning: 20 },
    });
    const client = workshopClient(server.baseUrl);
    const created = await client.create('Fuzz');
    const joined = await client.join(created.workshop.code, 'Fuzzy');
    workshop = { code: created.workshop.code, secret: created.secret, learnerId: joined.learnerId };
  });
  after(async () => {
    agent.destroy();
    await server.stop();
  });

  // ── Generators ────────────────────────────────────────────────────────────

  function channelValue(): string {
    // Mostly valid names, so requests get past the first check and reach the deeper ones.
    if (gen.chance(0.6)) return `fz-${gen.int(0, 20)}`;
    return gen.pick([
      `fz-${gen.int(0, 20)}`,
      'a'.repeat(gen.pick([1, 64, 65, 300])),
      encodeURIComponent(gen.string()),
      '%ZZ',
      '..',
      '%2e%2e',
      '%00',
      'ch%2Fslash',
      encodeURIComponent('😀'),
      '-',
    ]);
  }

  function paramValue(name: string): string {
    switch (name) {
      case 'channel':
      case 'feed':
        return channelValue();
      case 'code':
        return gen.chance(0.5)
          ? workshop.code
          : gen.pick([workshop.code.toLowerCase(), 'ABCDEF', 'K7Q-X2M', '000000', encodeURIComponent(gen.string(8)), '%ZZ']);
      case 'instance':
        return gen.chance(0.7) ? gen.pick(['a', 'b']) : gen.pick(['c', 'A', '%ZZ', '']);
      case 'action':
        return gen.pick(['kill', 'restart', 'pause', 'resume', 'explode', '%ZZ']);
      case 'idleMs':
        return gen.pick(['1000', '0', '-5', '1e9', 'abc', '99999999999999999999', '500']);
      default:
        return gen.pick(['AgTo0d4ZPXWk', 'x', '0', '%ZZ', 'a'.repeat(gen.pick([12, 13, 200])), encodeURIComponent(gen.string())]);
    }
  }

  function pathFor(pattern: string): string {
    let path = pattern
      .split('/')
      .map((segment) => (segment.startsWith(':') ? paramValue(segment.slice(1)) || 'x' : segment))
      .join('/');
    if (gen.chance(0.05)) path += '/';
    if (gen.chance(0.03)) path += `/${encodeURIComponent(gen.string(5)) || 'extra'}`;
    if (gen.chance(0.02)) path = path.replace('/api/', '/api//');
    if (gen.chance(0.02)) path = path.toUpperCase();
    return path;
  }

  function query(): string {
    if (gen.chance(0.4)) return '';
    const names = ['cursor', 'timeout', 'heartbeat', 'lastEventId', 'lab', 'via', 'x', ''];
    const values = ['0', '1', '-1', '25000', '999999', '1.5', 'abc', '', '%ZZ', '1e3', 'NaN', '99999999999999999999', 'sse', 'websocket'];
    const parts = Array.from({ length: gen.int(1, 4) }, () => `${gen.pick(names)}=${gen.pick(values)}`);
    return `?${parts.join('&')}`;
  }

  function jsonValue(depth = 0): unknown {
    const kind = gen.int(0, depth > 2 ? 5 : 8);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return gen.chance(0.5);
      case 2:
        return gen.pick([0, 1, -1, 1000, 12_000, 2 ** 53, 1e308, -0, 0.5, 65, 120_001]);
      case 3:
        return gen.pick([
          '',
          'note',
          'fz-1',
          'short-polling',
          'sse',
          'websocket',
          'none',
          'full-jitter',
          'open',
          'closed',
          'locked',
          'succeeded',
          'passed',
        ]);
      case 4:
        return gen.string(gen.pick([5, 40, 300]));
      case 5:
        return 'x'.repeat(gen.pick([281, 501, 2_000]));
      case 6:
        return Array.from({ length: gen.int(0, 4) }, () => jsonValue(depth + 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let index = gen.int(0, 4); index > 0; index -= 1)
          object[gen.chance(0.9) ? gen.pick(MEMBERS) : gen.string(6)] = jsonValue(depth + 1);
        return object;
      }
    }
  }

  function body(): Buffer | undefined {
    const kind = gen.int(0, 9);
    if (kind === 0) return undefined;
    if (kind === 1) return Buffer.from(gen.pick(['{', '{"type":', '[1,', 'nul', '"', '{"a":1}}', '\u0000', '']));
    if (kind === 2) return Buffer.from(Array.from({ length: gen.int(1, 64) }, () => gen.int(0, 255)));
    if (kind === 3)
      return Buffer.concat([Buffer.from('{"type":"note","data":{"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
    if (kind === 4 && gen.chance(0.2)) return Buffer.from(JSON.stringify({ data: 'x'.repeat(gen.pick([16_400, 140_000])) }));
    const value = kind <= 6 ? jsonValue(3) : jsonValue();
    return Buffer.from(JSON.stringify(value) ?? 'null');
  }

  function headers(hasBody: boolean): Record<string, string> {
    const result: Record<string, string> = {};
    if (hasBody || gen.chance(0.1)) {
      const type = gen.pick([
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=UTF-8',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/problem+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json;;;',
        '',
      ]);
      if (type !== '' || gen.chance(0.5)) result['content-type'] = type;
    }
    if (gen.chance(0.3)) {
      result.cookie = gen.pick([
        `${LEARNER_COOKIE}=${workshop.learnerId}`,
        `${LEARNER_COOKIE}=AAAAAAAAAAAAAAAAAAAAAA`,
        `${LEARNER_COOKIE}=bad`,
        `${LEARNER_COOKIE}=`,
        `rtw_host=${workshop.secret}`,
        `rtw_host=nope; ${LEARNER_COOKIE}=${'x'.repeat(200)}`,
        '=;;=;',
      ]);
    }
    if (gen.chance(0.2)) result.authorization = gen.pick([`Bearer ${workshop.secret}`, 'Bearer nope', 'Basic Zm9vOmJhcg==', 'Bearer', '']);
    if (gen.chance(0.15)) result['last-event-id'] = gen.pick(['0', '5', '-1', 'abc', '99999999999999999999', '1.0']);
    if (gen.chance(0.15)) result['if-none-match'] = gen.pick(['*', '"0.0"', 'W/"x"', '"', '', 'garbage']);
    if (gen.chance(0.1)) result.accept = gen.pick(['text/event-stream', 'text/html', '*/*', 'application/json', 'image/png']);
    if (gen.chance(0.1)) result['x-forwarded-proto'] = gen.pick(['https', 'http', 'gopher']);
    if (gen.chance(0.1)) result.origin = gen.pick(['http://evil.example', 'null', server.baseUrl]);
    if (gen.chance(0.05)) result['accept-encoding'] = gen.pick(['gzip', 'br', 'identity;q=0', '*']);
    return result;
  }

  // ── HTTP ──────────────────────────────────────────────────────────────────

  interface Answer {
    status: number;
    headers: IncomingHttpHeaders;
    body: string;
  }

  /** Sends one request; streams and held polls are read up to their head (plus what is there in 100 ms). */
  function send(
    method: string,
    path: string,
    requestHeaders: Record<string, string>,
    payload: Buffer | undefined,
  ): Promise<Answer | 'held'> {
    return new Promise((resolve, reject) => {
      const holding = HOLDING.test(path.split('?')[0]!);
      const withBody = payload !== undefined && method !== 'GET' && method !== 'HEAD';
      // Content-Length always: Node sends a DELETE's or OPTIONS' body unframed otherwise, and the server reads it as a new request.
      const allHeaders = withBody ? { ...requestHeaders, 'content-length': String(payload.length) } : requestHeaders;
      const request = httpRequest(
        `${server.baseUrl}/`,
        { method, path, headers: allHeaders, agent: holding ? false : agent },
        (response) => {
          const chunks: Buffer[] = [];
          const finish = () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', finish);
          response.on('error', () => {});
          if (holding && (response.statusCode ?? 0) < 300) {
            setTimeout(() => {
              request.destroy();
              finish();
            }, 100);
          }
        },
      );
      // A held long poll answers later than we wait: hang up, as a browser leaving would.
      const timer = setTimeout(
        () => {
          request.destroy();
          resolve('held');
        },
        holding ? 150 : 15_000,
      );
      request.on('close', () => clearTimeout(timer));
      request.on('error', (error) => (holding ? resolve('held') : reject(error)));
      if (withBody) request.end(payload);
      else request.end();
    });
  }

  it(`answers ${HTTP_REQUESTS} generated requests on every route without a 5xx, every 4xx a problem`, async () => {
    const routes = API_ROUTE_LIST;
    assert.ok(routes.length >= 40, `the table lists its routes (${routes.length})`);
    // Methods Node's parser knows (it answers any other with a bare 400 before the app sees it).
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE'];
    const extraPaths = ['/api', '/api/', '/api/nothing', '/healthz', '/readyz', '/api/%ZZ', '/api/jobs/', '/ws', '/api/channels//events'];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;

    // All generation happens in this order from the seed, so a run repeats exactly.
    const planned = Array.from({ length: HTTP_REQUESTS }, () => {
      const route = gen.pick(routes);
      const path = (gen.chance(0.04) ? gen.pick(extraPaths) : pathFor(route.pattern)) + query();
      const method = gen.chance(0.75) ? route.method : gen.pick(methods);
      const payload = body();
      return { method, path, headers: headers(payload !== undefined), payload };
    });

    const worker = async () => {
      while (next < planned.length) {
        const index = next++;
        const { method, path, headers: requestHeaders, payload } = planned[index]!;
        const what = `#${index} ${method} ${path}`;
        let answer: Answer | 'held';
        try {
          answer = await send(method, path, requestHeaders, payload);
        } catch (error) {
          failures.push(`${what}: no answer (${(error as Error).message})`);
          continue;
        }
        if (answer === 'held') continue;
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problem = check(method, answer);
        if (problem) failures.push(`${what} → ${answer.status}: ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    console.log(`fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${HTTP_REQUESTS} requests failed (FUZZ_SEED=${SEED})`);
    assert.deepEqual(server.errors, [], `nothing is logged as an error (FUZZ_SEED=${SEED})`);
  });

  function check(method: string, answer: Answer): string | undefined {
    const type = answer.headers['content-type'] ?? '';
    if (answer.status < 400) return undefined;
    if (!type.startsWith(PROBLEM_CONTENT_TYPE)) return `a ${answer.status} as ${type || 'no content type'}, not a problem`;
    if (method === 'HEAD') return undefined;
    let problem: { type?: unknown; title?: unknown; status?: unknown; detail?: unknown };
    try {
      problem = JSON.parse(answer.body) as typeof problem;
    } catch {
      return `a problem that is not JSON: ${answer.body.slice(0, 80)}`;
    }
    if (
      typeof problem.type !== 'string' ||
      typeof problem.title !== 'string' ||
      typeof problem.detail !== 'string' ||
      problem.status !== answer.status
    ) {
      return `a problem without its four members: ${answer.body.slice(0, 120)}`;
    }
    // RFC 9110 §15.6.2: 501 is the documented answer to a method no route accepts (TRACE, PATCH…).
    const unimplemented = answer.status === 501 && !ROUTE_METHODS.has(method);
    if (answer.status >= 500 && !unimplemented && !DOCUMENTED_5XX.has(problem.type))
      return `an undocumented ${answer.status}: ${problem.detail}`;
    return undefined;
  }

  // ── WebSocket ─────────────────────────────────────────────────────────────

  function wsMessage(): string | Buffer {
    const kind = gen.int(0, 9);
    if (kind === 0) return Buffer.from(Array.from({ length: gen.int(1, 40) }, () => gen.int(0, 255)));
    if (kind === 1) return gen.pick(['{', '[]', 'null', '"subscribe"', '{"type":', '', '{"type":null}']);
    const type = gen.chance(0.9) ? gen.pick(['subscribe', 'unsubscribe', 'join', 'leave', 'message', 'typing', 'simulate']) : gen.string(8);
    const message: Record<string, unknown> = { type };
    const fields: Record<string, () => unknown> = {
      channel: () => (gen.chance(0.7) ? `fz-${gen.int(0, 12)}` : jsonValue(2)),
      cursor: () => gen.pick([0, 1, -1, 1.5, 2 ** 60, '3', null]),
      room: () => (gen.chance(0.7) ? `room-${gen.int(0, 3)}` : jsonValue(2)),
      name: () => (gen.chance(0.7) ? `fz${gen.int(0, 99)}` : jsonValue(2)),
      text: () => (gen.chance(0.7) ? gen.string(40) : jsonValue(2)),
      clientId: () => (gen.chance(0.7) ? `c${gen.int(0, 1e6)}` : jsonValue(2)),
      typing: () => (gen.chance(0.7) ? gen.chance(0.5) : jsonValue(2)),
      fault: () => gen.pick(['drop', 'restart', 'explode', 1]),
    };
    for (const [name, value] of Object.entries(fields)) if (gen.chance(0.35)) message[name] = value();
    if (gen.chance(0.1)) message[gen.string(5)] = jsonValue(2);
    return JSON.stringify(message);
  }

  it(`survives ${WS_MESSAGES} generated WebSocket messages and frames, closing only with the documented codes`, async () => {
    // 1012: a lesson 7 drain that the HTTP fuzz started on a channel these connections subscribe to.
    const allowedCloses = new Set<number>([
      WS_CLOSE.serviceRestart,
      WS_CLOSE.normal,
      WS_CLOSE.goingAway,
      1002,
      1003,
      WS_CLOSE.invalidPayload,
      WS_CLOSE.policyViolation,
      WS_CLOSE.messageTooBig,
      WS_CLOSE.tryAgainLater,
      1005,
      1006,
    ]);
    const failures: string[] = [];
    let sent = 0;
    let connection = 0;
    while (sent < WS_MESSAGES) {
      const index = connection++;
      // Most connections behave like a busy page; some send all at once (the rate limit closes them), some break the protocol.
      const plan = Array.from({ length: gen.int(20, 90) }, () => {
        const r = gen.random();
        if (r < 0.02) return { kind: 'huge' as const };
        if (r < 0.04) return { kind: 'ping' as const };
        if (r < 0.05) return { kind: 'bad-utf8' as const };
        return { kind: 'message' as const, data: wsMessage() };
      });
      const cookie = gen.chance(0.5) ? { Cookie: `${LEARNER_COOKIE}=${workshop.learnerId}` } : {};
      const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}${WS_PATH}`, { headers: cookie });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.on('error', () => {});
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('unexpected-response', () => resolve(false));
        ws.once('error', () => resolve(false));
      });
      if (!opened) {
        failures.push(`connection ${index}: the handshake was refused`);
        continue;
      }
      for (const step of plan) {
        if (ws.readyState !== WebSocket.OPEN) break;
        sent += 1;
        if (step.kind === 'huge') ws.send('x'.repeat(WS_LIMITS.maxPayloadBytes + 1));
        else if (step.kind === 'ping') ws.ping(gen.string(10));
        else if (step.kind === 'bad-utf8') ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
        else ws.send(step.data, { binary: Buffer.isBuffer(step.data) });
        if (index % 3 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5_000))]);
      if (code === -1) failures.push(`connection ${index}: never closed`);
      else if (!allowedCloses.has(code)) failures.push(`connection ${index}: closed with ${code}`);
    }
    // Handshakes that must be refused without harm.
    for (let index = 0; index < 60; index += 1) {
      const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: gen.pick(['websocket', 'WebSocket', 'h2c', '']) };
      if (gen.chance(0.8)) headers['Sec-WebSocket-Version'] = gen.pick(['13', '8', '', 'x']);
      if (gen.chance(0.8)) headers['Sec-WebSocket-Key'] = gen.pick(['dGhlIHNhbXBsZSBub25jZQ==', 'short', '']);
      if (gen.chance(0.3)) headers.Origin = gen.pick(['http://evil.example', 'null']);
      const path = gen.pick([WS_PATH, `${WS_PATH}?x=%ZZ`, '/api/sse/x', '/nothing', `${WS_PATH}/`]);
      await new Promise<void>((resolve) => {
        const request = httpRequest(`${server.baseUrl}${path}`, { headers, agent: false, method: gen.pick(['GET', 'GET', 'POST']) });
        request.on('upgrade', (_response, socket) => {
          socket.destroy();
          resolve();
        });
        request.on('response', (response) => {
          if ((response.statusCode ?? 0) >= 500 && response.statusCode !== 503)
            failures.push(`handshake ${index} on ${path}: ${response.statusCode}`);
          // A plain GET of a stream (no upgrade happened) answers and stays open: the status is what counts.
          response.destroy();
          resolve();
        });
        request.on('error', () => resolve());
        request.setTimeout(5_000, () => {
          failures.push(`handshake ${index} on ${path}: no answer`);
          request.destroy();
          resolve();
        });
        request.end();
      });
    }
    console.log(`fuzz: ${sent} WebSocket messages and frames over ${connection} connections`);
    assert.deepEqual(failures.slice(0, 20), [], `(FUZZ_SEED=${SEED})`);
    assert.deepEqual(server.errors, [], `nothing is logged as an error (FUZZ_SEED=${SEED})`);
  });

  it('leaves a healthy server: it answers, publishes, streams and speaks WebSocket', async () => {
    assert.equal((await fetch(`${server.baseUrl}${apiRoutes.health.path()}`)).status, 200);
    const channel = 'fuzz-after';
    const published = await fetch(`${server.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'note', data: { text: 'still here' } }),
    });
    assert.equal(published.status, 201);
    const poll = await fetch(`${server.baseUrl}${apiRoutes.longPoll.path({ channel }, { cursor: 0, timeout: 0 })}`);
    assert.equal(poll.status, 200);
    assert.match(await poll.text(), /still here/);
    const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}${WS_PATH}`);
    const hello = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    assert.match(hello, /"type":"hello"/);
    ws.close();
    await waitUntil(
      () => server.app.inFlightRequests() <= 1,
      () => `requests still in flight: ${server.app.inFlightRequests()}`,
      10_000,
    );
    assert.deepEqual(server.errors, []);
  });
});
