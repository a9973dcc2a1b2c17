/**
 * Many connections held at once by one server process: N Server-Sent Events
 * streams and N WebSockets (default 10 000 each), opened together, then held
 * while the server's heartbeats flow (SSE `: heartbeat` comments, WebSocket
 * pings, both every HEARTBEAT_MS). Prints the connections held, the server's
 * RSS per connection and how it moves while holding, and how late the
 * heartbeats came (each gap minus the interval: p50, p99, max).
 *
 *   node bench/hold.ts [connections per kind]       HOLD_S=30 HEARTBEAT_MS=5000
 *
 * The client harness is this one process: under load it may itself read a
 * heartbeat late, so lateness is an upper bound of the server's.
 */
import { request, type ClientRequest } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { WS_PATH } from '../src/protocol/websocket.ts';
import { openInBatches } from './shared/open-in-batches.ts';
import { UNLIMITED_ENV } from './shared/server-env.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';
import { ensureFileDescriptors, quantile, rssKib } from './shared/proc-stats.ts';

const PER_KIND = Number(process.argv[2] ?? 10_000);
const HOLD_S = Number(process.env.HOLD_S ?? 30);
const HEARTBEAT_MS = Number(process.env.HEARTBEAT_MS ?? 5000);
const CHANNEL = 'bench-hold';

// Each connection is a descriptor here and one in the server; about 100 more cover files, pipes and listeners.
ensureFileDescriptors(2 * PER_KIND + 100);

const server = await spawnServer({ ...UNLIMITED_ENV, SSE_HEARTBEAT_MS: String(HEARTBEAT_MS), WS_HEARTBEAT_MS: String(HEARTBEAT_MS) });
const pid = server.child.pid!;
const { hostname, port } = new URL(server.baseUrl);

/** Per connection, when its last heartbeat came; gaps between heartbeats, ms. */
const gaps = { sse: [] as number[], websocket: [] as number[] };
let dropped = 0;
const heard = (kind: keyof typeof gaps, last: { at: number | null }) => {
  const now = performance.now();
  // The first heartbeat's gap runs from an arbitrary point of the server's schedule: skip it.
  if (last.at !== null) gaps[kind].push(now - last.at);
  last.at = now;
};

function openSse(): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const last = { at: null as number | null };
    const stream = request({
      host: hostname,
      port,
      path: apiRoutes.sse.path({ channel: CHANNEL }),
      headers: { Accept: 'text/event-stream' },
      agent: false,
    });
    stream.once('error', reject);
    stream.once('response', (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (chunk.includes(': heartbeat')) heard('sse', last);
      });
      response.once('end', () => (dropped += 1));
      resolve(stream);
    });
    stream.end();
  });
}

function openWebSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const last = { at: null as number | null };
    const socket = new WebSocket(`ws://${hostname}:${port}${WS_PATH}`);
    socket.once('error', reject);
    socket.once('open', () => resolve(socket));
    // `ws` answers each ping with a pong by itself, as browsers do.
    socket.on('ping', () => heard('websocket', last));
    socket.once('close', () => (dropped += 1));
  });
}

await delay(500);
const rssBefore = rssKib(pid);
const started = performance.now();
// One SSE stream and one WebSocket at a time, in batches of pairs.
const pairs = await openInBatches(PER_KIND, () => Promise.all([openSse(), openWebSocket()]));
const streams = pairs.map(([stream]) => stream);
const sockets = pairs.map(([, socket]) => socket);
const openedIn = (performance.now() - started) / 1000;
await delay(2000);
const rssHeld = rssKib(pid);
console.log(
  `held ${streams.length} SSE streams + ${sockets.length} WebSockets (opened in ${openedIn.toFixed(1)} s); ` +
    `server RSS ${(rssBefore / 1024).toFixed(0)} → ${(rssHeld / 1024).toFixed(0)} MiB, ` +
    `${((rssHeld - rssBefore) / (streams.length + sockets.length)).toFixed(1)} KiB per connection`,
);

const rssSamples: number[] = [];
for (let second = 0; second < HOLD_S; second += 5) {
  await delay(5000);
  rssSamples.push(rssKib(pid));
}
console.log(
  `holding ${HOLD_S} s: server RSS ${rssSamples.map((kib) => (kib / 1024).toFixed(0)).join(' → ')} MiB; ` +
    `connections dropped: ${dropped}`,
);
for (const kind of ['sse', 'websocket'] as const) {
  const late = gaps[kind].map((gap) => gap - HEARTBEAT_MS).sort((a, b) => a - b);
  console.log(
    `${kind.padEnd(9)} heartbeats every ${HEARTBEAT_MS} ms: ${late.length} gaps seen, late by p50 ${quantile(late, 0.5).toFixed(0)} ms, ` +
      `p99 ${quantile(late, 0.99).toFixed(0)} ms, max ${late.at(-1)?.toFixed(0)} ms`,
  );
}

for (const stream of streams) stream.destroy();
for (const socket of sockets) socket.terminate();
server.child.kill('SIGTERM');
await Promise.race([server.exited, delay(15_000)]);
