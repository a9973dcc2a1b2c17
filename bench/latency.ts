/**
 * Publish → receive latency of long polling and SSE, measured against the
 * real companion server (API only, a child process on a free loopback port).
 *
 *   node bench/latency.ts [events=1000] [intervalMs=5]
 *
 * One long-poll client loop and one SSE client (a raw `node:http` reader)
 * follow the same channel while this script publishes `events` events, one
 * POST at a time, `intervalMs` apart. Latency is from just before the POST is
 * sent to when the client has parsed the event, on this process's clock.
 * It prints figures only: timing on a shared machine is never pass/fail.
 *
 * Reading the figures: both clients are woken by the same publish, and the
 * server writes each its bytes in the same turn (the SSE chunk straight to the
 * stream's socket); sub-millisecond gaps between the two are the order of
 * their listeners, not the technique. The tail (p99, max) is garbage
 * collection and a busy machine.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { LongPollResponse } from '../src/protocol/long-polling.ts';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { WireParser } from '../src/protocol/sse-wire-parser.ts';
import { UNLIMITED_ENV } from './shared/server-env.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';

const eventCount = Number(process.argv[2] ?? 1_000);
const intervalMs = Number(process.argv[3] ?? 5);
const channel = `bench-${process.pid}`;

/** Per technique: when each event arrived, and what the wire carried. */
interface Client {
  name: string;
  receivedAt: Map<number, number>;
  sockets: Set<Socket>;
  requests: number;
  emptyAnswers: number;
  stop(): void;
}

// ——— the server ———
const server = await spawnServer(UNLIMITED_ENV);
const baseUrl = server.baseUrl;

/** GET with the given agent; resolves with the response and its whole body. */
function get(path: string, agent: Agent | false, sockets: Set<Socket>): Promise<{ message: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { agent }, (message) => {
      let body = '';
      message.setEncoding('utf8');
      message.on('data', (chunk: string) => (body += chunk));
      message.on('end', () => resolve({ message, body }));
    });
    request.on('socket', (socket) => sockets.add(socket));
    request.on('error', reject);
    request.end();
  });
}

/** Records the arrival of the events this benchmark published (`data.seq`). */
function record(client: Client, data: unknown): void {
  const seq = (data as { seq?: unknown } | null)?.seq;
  if (typeof seq === 'number' && !client.receivedAt.has(seq)) client.receivedAt.set(seq, performance.now());
}

// ——— long polling: ask, wait, ask again with the cursor ———
function startLongPolling(): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const client: Client = {
    name: 'long polling',
    receivedAt: new Map(),
    sockets: new Set(),
    requests: 0,
    emptyAnswers: 0,
    stop: () => {
      running = false;
      agent.destroy();
    },
  };
  void (async () => {
    let cursor = 0;
    while (running) {
      try {
        const { message, body } = await get(apiRoutes.longPoll.path({ channel }, { cursor, timeout: 25_000 }), agent, client.sockets);
        client.requests += 1;
        if (message.statusCode === 204) {
          client.emptyAnswers += 1;
          continue;
        }
        const answer = JSON.parse(body) as LongPollResponse;
        for (const event of answer.events) record(client, event.data);
        cursor = answer.cursor;
      } catch {
        if (running) await delay(10);
      }
    }
  })();
  return client;
}

// ——— SSE: one response that never ends, parsed as it arrives ———
function startSse(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client: Client = {
      name: 'SSE',
      receivedAt: new Map(),
      sockets: new Set(),
      requests: 1,
      emptyAnswers: 0,
      stop: () => request.destroy(),
    };
    const request = httpRequest(`${baseUrl}${apiRoutes.sse.path({ channel })}`, { agent: false }, (message) => {
      const parser = new WireParser();
      message.setEncoding('utf8');
      message.on('data', (chunk: string) => {
        for (const event of parser.push(chunk).events) record(client, JSON.parse(event.data));
      });
      message.on('error', () => {});
      resolve(client);
    });
    request.on('socket', (socket) => client.sockets.add(socket));
    request.on('error', reject);
    request.end();
  });
}

const clients = [startLongPolling(), await startSse()];
// Both clients must be waiting before the first publish.
await delay(200);

// ——— the publisher ———
const publishAgent = new Agent({ keepAlive: true, maxSockets: 1 });
const publishedAt = new Map<number, number>();
const started = performance.now();
for (let seq = 0; seq < eventCount; seq += 1) {
  const body = JSON.stringify({ type: 'count', data: { seq } });
  publishedAt.set(seq, performance.now());
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest(
      `${baseUrl}${apiRoutes.channelEvents.path({ channel })}`,
      {
        method: 'POST',
        agent: publishAgent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (message) => message.resume().on('end', () => resolve()),
    );
    request.on('error', reject);
    request.end(body);
  });
  await delay(intervalMs);
}
const publishSeconds = (performance.now() - started) / 1000;

// Let the last events arrive (bounded).
const deadline = performance.now() + 10_000;
while (clients.some((client) => client.receivedAt.size < eventCount) && performance.now() < deadline) await delay(10);

// ——— figures ———
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const ms = (value: number) => value.toFixed(2).padStart(8);

console.log(
  `${eventCount} events published in ${publishSeconds.toFixed(1)} s (one POST every ~${intervalMs} ms + its round trip), node ${process.version}\n`,
);
console.log('technique     received   median      p90      p99      max (ms)   requests  empty  bytes/event (wire, both ways)');
for (const client of clients) {
  const latencies = [...client.receivedAt].map(([seq, at]) => at - (publishedAt.get(seq) ?? at)).sort((a, b) => a - b);
  const bytes = [...client.sockets].reduce((sum, socket) => sum + socket.bytesRead + socket.bytesWritten, 0);
  console.log(
    `${client.name.padEnd(12)} ${String(client.receivedAt.size).padStart(9)} ` +
      `${ms(percentile(latencies, 50))} ${ms(percentile(latencies, 90))} ${ms(percentile(latencies, 99))} ` +
      `${ms(latencies.at(-1) ?? NaN)}   ${String(client.requests).padStart(10)} ${String(client.emptyAnswers).padStart(6)} ` +
      `${(bytes / Math.max(1, client.receivedAt.size)).toFixed(0).padStart(8)}`,
  );
}

clients.forEach((client) => client.stop());
publishAgent.destroy();
server.child.kill('SIGTERM');
await server.exited;
