/**
 * Fan-out against socket.io, in the same run: for each number of subscribers,
 * our server over SSE, our server over WebSocket, and a socket.io 4 server
 * (bench/fanout/socketio-server.ts), each started fresh in a child process,
 * one after the other, driven by one client harness (bench/fanout/subscribers.ts).
 *
 *   node bench/fanout.ts [subscribers…]      (default 1000 5000 10000)
 *   EVENTS=40 node bench/fanout.ts 2000
 *   TRANSPORTS=node-long-poll,long-poll node bench/fanout.ts 1000   (default socket.io,sse,websocket)
 *
 * Per server it prints:
 *  - latency, publish → each subscriber's parse (p50/p99), the harness being one
 *    process: the last subscriber of 10 000 also waits for the 9 999 before it;
 *  - CPU per delivery: the server's utime + stime (/proc/<pid>/stat) over the
 *    publishing phase, divided by subscribers × events, and the kernel's part
 *    of it (stime: one socket write per delivery is a floor no code removes);
 *  - bytes per delivery: what the server wrote (/proc/<pid>/io wchar) over the same phase;
 *  - memory per idle connection: the server's RSS after connecting, minus before;
 * then the ratios to socket.io. Figures only: they depend on the machine.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { UNLIMITED_ENV } from './shared/server-env.ts';
import { spawnServer, type ServerProcess } from '../tests/harness/spawn-server.ts';
import { subscribe, type BenchData, type Transport } from './fanout/subscribers.ts';
import { openInBatches } from './shared/open-in-batches.ts';
import { bytesWritten, cpuTimes, ensureFileDescriptors, quantile, rssKib } from './shared/proc-stats.ts';

const COUNTS = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SUBSCRIBER_COUNTS = COUNTS.length > 0 ? COUNTS : [1000, 5000, 10_000];
const EVENTS = Number(process.env.EVENTS ?? 40);
const CHANNEL = 'bench-fanout';
// 140 characters: a chat message, so the framing is not the whole cost.
const TEXT = 'x'.repeat(140);
// Long polling on its own: a held poll answered, then the next one accepted, per delivery;
// `node-long-poll` is the same on bare node:http, the floor it is compared with.
const TRANSPORTS = (process.env.TRANSPORTS ?? 'socket.io,sse,websocket').split(',') as Transport[];

/** The comparison servers; every other transport is ours. */
const SERVER_SCRIPTS: Partial<Record<Transport, string>> = {
  'socket.io': 'bench/fanout/socketio-server.ts',
  'node-long-poll': 'bench/fanout/node-long-poll-server.ts',
};

/** Which figures are divided by which. */
const COMPARISONS: [Transport, Transport][] = [
  ['sse', 'socket.io'],
  ['websocket', 'socket.io'],
  ['long-poll', 'node-long-poll'],
];

ensureFileDescriptors(Math.max(...SUBSCRIBER_COUNTS) + 1000);

interface Figures {
  transport: Transport;
  subscribers: number;
  p50: number;
  p99: number;
  cpuMicrosPerDelivery: number;
  /** The part of it spent in the kernel. */
  systemMicrosPerDelivery: number;
  bytesPerDelivery: number;
  kibPerConnection: number;
  missed: number;
}

const results: Figures[] = [];
for (const subscribers of SUBSCRIBER_COUNTS) {
  for (const transport of TRANSPORTS) {
    const figures = await measure(transport, subscribers);
    results.push(figures);
    console.log(line(figures));
  }
  const at = (transport: Transport) => results.find((r) => r.subscribers === subscribers && r.transport === transport);
  for (const [transport, against] of COMPARISONS) {
    const ours = at(transport);
    const base = at(against);
    if (!base || !ours) continue;
    console.log(
      `  ${transport.padEnd(14)} / ${against} at ${subscribers}: CPU per delivery ×${(ours.cpuMicrosPerDelivery / base.cpuMicrosPerDelivery).toFixed(2)}, ` +
        `memory per connection ×${(ours.kibPerConnection / base.kibPerConnection).toFixed(2)}, p99 ×${(ours.p99 / base.p99).toFixed(2)}`,
    );
  }
}

async function measure(transport: Transport, count: number): Promise<Figures> {
  const server = await spawnServer(UNLIMITED_ENV, SERVER_SCRIPTS[transport] ?? 'server/index.ts');
  const pid = server.child.pid!;
  const publishedAt = new Map<number, number>();
  const latencies: number[] = [];
  let delivered = 0;
  let wanted = 0;
  let allArrived: () => void = () => {};
  const onEvent = (seq: number) => {
    latencies.push(performance.now() - publishedAt.get(seq)!);
    delivered += 1;
    if (delivered === wanted) allArrived();
  };

  await delay(500);
  const rssBefore = rssKib(pid);
  const subscribers = await openInBatches(count, () => subscribe(transport, server.baseUrl, CHANNEL, onEvent));
  await delay(2000);
  const rssAfter = rssKib(pid);

  const cpuBefore = cpuTimes(pid);
  const bytesBefore = bytesWritten(pid);
  for (let seq = 1; seq <= EVENTS; seq += 1) {
    wanted = seq * count;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    publishedAt.set(seq, performance.now());
    await publish(transport, server, { seq, text: TEXT });
    // One event at a time: each is measured fanning out, not queued behind the last.
    await Promise.race([arrived, delay(30_000)]);
  }
  const cpuAfter = cpuTimes(pid);
  const system = cpuAfter.system - cpuBefore.system;
  const cpu = cpuAfter.user - cpuBefore.user + system;
  const bytes = bytesWritten(pid) - bytesBefore;

  for (const subscriber of subscribers) subscriber.close();
  await stop(server);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    transport,
    subscribers: count,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    cpuMicrosPerDelivery: cpu / delivered,
    systemMicrosPerDelivery: system / delivered,
    bytesPerDelivery: bytes / delivered,
    kibPerConnection: (rssAfter - rssBefore) / count,
    missed: count * EVENTS - delivered,
  };
}

async function publish(transport: Transport, server: ServerProcess, data: BenchData): Promise<void> {
  const url =
    transport === 'socket.io'
      ? `${server.baseUrl}/publish?room=${CHANNEL}`
      : `${server.baseUrl}${apiRoutes.channelEvents.path({ channel: CHANNEL })}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'chat', data }),
  });
  if (response.status !== 201) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await Promise.race([server.exited, delay(15_000)]);
  server.child.kill('SIGKILL');
}

function line(f: Figures): string {
  return (
    `${f.transport.padEnd(14)} ${String(f.subscribers).padStart(6)} subscribers × ${EVENTS} events: ` +
    `latency p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms; ` +
    `CPU ${f.cpuMicrosPerDelivery.toFixed(2)} µs/delivery (kernel ${f.systemMicrosPerDelivery.toFixed(2)}); ${f.bytesPerDelivery.toFixed(0)} B/delivery; ` +
    `${f.kibPerConnection.toFixed(1)} KiB/connection` +
    (f.missed > 0 ? `; ${f.missed} deliveries MISSING` : '')
  );
}
