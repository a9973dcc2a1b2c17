/**
 * WebSocket figures of the companion server, measured against a real server
 * in a child process (so its memory is its own):
 *
 *  1. latency — publish (POST /api/channels/…/events) → `event` on a
 *     subscribed socket; chat `message` → broadcast to another member;
 *  2. memory — the server's resident set size per idle connection.
 *
 *   node bench/websocket.ts
 *
 * It prints figures only; timings depend on the machine.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { WS_LIMITS, WS_PATH, type ServerMessage } from '../src/protocol/websocket.ts';
import { openInBatches } from './shared/open-in-batches.ts';
import { UNLIMITED_ENV } from './shared/server-env.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';

const PUBLISHES = 1000;
const CHAT_MESSAGES = 500;
const IDLE_CONNECTIONS = 5000;

const server = await spawnServer(UNLIMITED_ENV);
const { baseUrl, child } = server;
const wsUrl = `${baseUrl.replace('http', 'ws')}${WS_PATH}`;

/** Opens a socket and resolves once its `hello` arrived; `onMessage` sees every later message. */
function open(onMessage: (message: ServerMessage) => void = () => {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl);
    ws.once('error', reject);
    ws.once('message', () => {
      ws.on('message', (data) => onMessage(JSON.parse(data.toString()) as ServerMessage));
      resolve(ws);
    });
  });
}

const rssKb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (value: number) => value.toFixed(2).padStart(7);
  return (
    `${label.padEnd(40)} n=${String(sorted.length).padEnd(5)} median ${ms(quantile(sorted, 0.5))}` +
    `  p90 ${ms(quantile(sorted, 0.9))}  p99 ${ms(quantile(sorted, 0.99))}  max ${ms(sorted.at(-1)!)} ms`
  );
}

// ── 1a. publish → event ─────────────────────────────────────────────────────
{
  const channel = 'bench-latency';
  let arrived: ((event: number) => void) | undefined;
  const subscriber = await open((message) => {
    if (message.type === 'event') arrived?.(message.event.id);
  });
  subscriber.send(JSON.stringify({ type: 'subscribe', channel, cursor: 0 }));
  await delay(50);

  const samples: number[] = [];
  for (let index = 0; index < PUBLISHES; index += 1) {
    const started = performance.now();
    const received = new Promise<number>((resolve) => (arrived = () => resolve(performance.now())));
    const response = await fetch(`${baseUrl}${apiRoutes.channelEvents.path({ channel })}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'count', data: { index } }),
    });
    await response.arrayBuffer();
    samples.push((await received) - started);
  }
  subscriber.terminate();
  console.log(summary('publish (POST) → event on socket', samples));
}

// ── 1b. chat message → broadcast to another member ─────────────────────────
{
  const room = 'bench-chat';
  let arrived: ((clientId: string) => void) | undefined;
  const listener = await open((message) => {
    if (message.type === 'message') arrived?.(message.message.clientId);
  });
  listener.send(JSON.stringify({ type: 'join', room, name: 'listener' }));
  // Each connection may send a burst of WS_LIMITS.burst messages (its join included) at once:
  // enough senders that the rate limit never delays a sample.
  const perSender = WS_LIMITS.burst - 1;
  const senders = await Promise.all(Array.from({ length: Math.ceil(CHAT_MESSAGES / perSender) }, () => open()));
  for (const [index, sender] of senders.entries()) {
    sender.send(JSON.stringify({ type: 'join', room: `${room}-sender-${index}`, name: `s${index}` }));
  }
  await delay(100);
  // Senders join the room only now, so the listener is not flooded with presence while measuring.
  for (const [index, sender] of senders.entries()) {
    sender.send(JSON.stringify({ type: 'join', room, name: `s${index}` }));
  }
  await delay(300);

  const samples: number[] = [];
  for (let index = 0; index < CHAT_MESSAGES; index += 1) {
    const clientId = `bench-${index}`;
    const received = new Promise<number>((resolve) => {
      arrived = (id) => id === clientId && resolve(performance.now());
    });
    const started = performance.now();
    senders[Math.floor(index / perSender)]!.send(JSON.stringify({ type: 'message', text: `m${index}`, clientId }));
    samples.push((await received) - started);
  }
  console.log(summary(`chat message → broadcast (${senders.length + 1} in room)`, samples));
  for (const socket of [listener, ...senders]) socket.terminate();
}

// ── 2. memory per idle connection ───────────────────────────────────────────
{
  await delay(500);
  const baseline = rssKb();
  const sockets = await openInBatches(IDLE_CONNECTIONS, open);
  await delay(2000);
  const loaded = rssKb();
  console.log(
    `idle connections: ${sockets.length}, server RSS ${(baseline / 1024).toFixed(1)} MB → ${(loaded / 1024).toFixed(1)} MB, ` +
      `${((loaded - baseline) / sockets.length).toFixed(1)} KB per connection`,
  );
  for (const socket of sockets) socket.terminate();
}

child.kill('SIGTERM');
await server.exited;
