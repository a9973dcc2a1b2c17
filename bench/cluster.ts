/**
 * What the Redis backplane costs: fan-out latency to SSE subscribers spread
 * over two instances sharing Redis, against one instance with the in-memory
 * bus, in the same run on the same machine.
 *
 *   node bench/cluster.ts [subscribers=2000] [events=40] [intervalMs=100]
 *
 * Needs `redis-server` on PATH (Debian's redis-server package). Starts a
 * throw-away Redis, then:
 *   - one instance, no Redis: every subscriber on it, events published to it;
 *   - two instances on Redis: half the subscribers on each, every event
 *     published to the first, so half the deliveries cross Redis.
 * Subscribers are raw `node:http` readers in this process; each event carries
 * the time it was published (this process's clock), so latency is publish →
 * parsed by the subscriber. It also reads each server's CPU time from /proc.
 * It prints figures only: timing on a shared machine is never pass/fail.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { WireParser } from '../src/protocol/sse-wire-parser.ts';
import { startTestRedis } from '../tests/harness/redis-server.ts';
import { UNLIMITED_ENV } from './shared/server-env.ts';
import { spawnServer, type ServerProcess } from '../tests/harness/spawn-server.ts';

const subscriberCount = Number(process.argv[2] ?? 2_000);
const eventCount = Number(process.argv[3] ?? 40);
const intervalMs = Number(process.argv[4] ?? 100);

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Opens `count` SSE streams on `channel` at `baseUrl`; calls `onEvent` with each event's publish time. */
async function subscribe(
  baseUrl: string,
  channel: string,
  count: number,
  onEvent: (publishedAt: number) => void,
): Promise<ClientRequest[]> {
  const requests: ClientRequest[] = [];
  const opened: Promise<void>[] = [];
  for (let index = 0; index < count; index += 1) {
    opened.push(
      new Promise((resolve, reject) => {
        const request = httpRequest(`${baseUrl}${apiRoutes.sse.path({ channel })}`, { agent: false }, (response) => {
          response.setEncoding('utf8');
          const parser = new WireParser();
          response.on('data', (chunk: string) => {
            for (const event of parser.push(chunk).events) {
              if (event.type === 'bench') onEvent((JSON.parse(event.data) as { at: number }).at);
            }
          });
          resolve();
        });
        request.on('error', reject);
        request.end();
        requests.push(request);
      }),
    );
    // Opening thousands at once overflows the listen backlog: a few hundred at a time.
    if (index % 200 === 199) await Promise.all(opened.slice(-200));
  }
  await Promise.all(opened);
  return requests;
}

interface Figures {
  name: string;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  cpuMsPerThousand: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function run(name: string, servers: ServerProcess[], subscribers: number): Promise<Figures> {
  const channel = `bench-${Date.now()}`;
  const latencies: number[] = [];
  const perServer = Math.ceil(subscribers / servers.length);
  const requests = (
    await Promise.all(
      servers.map((server) => subscribe(server.baseUrl, channel, perServer, (at) => latencies.push(performance.now() - at))),
    )
  ).flat();
  await delay(500); // let every stream settle before timing
  const cpuBefore = servers.map((server) => cpuMs(server.child.pid!));
  for (let n = 0; n < eventCount; n += 1) {
    const body = JSON.stringify({ type: 'bench', data: { at: performance.now() } });
    const response = await fetch(`${servers[0]!.baseUrl}${apiRoutes.channelEvents.path({ channel })}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    await delay(intervalMs);
  }
  await delay(1_000);
  const cpu = servers.reduce((sum, server, index) => sum + cpuMs(server.child.pid!) - cpuBefore[index]!, 0);
  requests.forEach((request) => request.destroy());
  const sorted = latencies.sort((x, y) => x - y);
  return {
    name: `${name}, ${perServer * servers.length} subscribers`,
    deliveries: latencies.length,
    expected: perServer * servers.length * eventCount,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    cpuMsPerThousand: (cpu / Math.max(1, latencies.length)) * 1000,
  };
}

const redis = await startTestRedis();
if (redis.skip) {
  console.log(`bench/cluster needs Redis: ${redis.skip}`);
  process.exit(1);
}
const results: Figures[] = [];
try {
  const single = await spawnServer(UNLIMITED_ENV);
  // Two subscribers show the hop itself; thousands show the fan-out.
  for (const count of [2, subscriberCount]) results.push(await run('1 instance, in-memory bus', [single], count));
  single.child.kill('SIGTERM');
  await single.exited;

  const env = { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix() };
  const pair = await Promise.all([spawnServer({ ...UNLIMITED_ENV, ...env }), spawnServer({ ...UNLIMITED_ENV, ...env })]);
  await delay(500); // the pattern subscriptions are confirmed asynchronously
  for (const count of [2, subscriberCount]) results.push(await run('2 instances, Redis backplane', pair, count));
  for (const server of pair) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
} finally {
  await redis.stop();
}

console.log(`\nSSE subscribers, ${eventCount} events ${intervalMs} ms apart, published on the first instance\n`);
console.log('| setup | deliveries | p50 ms | p99 ms | max ms | server CPU ms per 1 000 deliveries |');
console.log('|---|---|---|---|---|---|');
for (const figures of results) {
  console.log(
    `| ${figures.name} | ${figures.deliveries} / ${figures.expected} | ${figures.p50.toFixed(2)} | ${figures.p99.toFixed(2)} | ${figures.max.toFixed(2)} | ${figures.cpuMsPerThousand.toFixed(1)} |`,
  );
}
