/**
 * What the server keeps per idle connection, exactly. The server runs in this
 * process (`createApp`, as a bench runs it: no limits, no response checks);
 * the clients run in a child (bench/connection-memory/idle-clients.ts), so
 * their memory is not counted. Per transport, it opens 100 connections first
 * (whatever is made once, on first use, is then made), takes the baseline,
 * opens N more idle ones (SSE: `GET /api/sse/{channel}`; WebSocket: `/ws`,
 * then `subscribe` to a channel, answered by `subscribed`), and after a full
 * garbage collection prints per connection:
 *
 *  - JS heap growth: V8's used heap size after GC, exact (the same run after
 *    run, however loaded the machine), and `external` (ArrayBuffers, Buffers);
 *  - RSS growth: what the process holds in RAM, which also counts Node's C++
 *    objects and libuv's; it moves from run to run (malloc, load);
 *  - from heap snapshots before and after: the kinds of objects that grew
 *    (constructors, closures `name()`, V8 internals such as `system / Context`),
 *    how many each connection holds and their self size, largest first.
 *
 *   node bench/connection-memory.ts [connections=2000] [sse,websocket]
 *   SNAPSHOTS=0 node bench/connection-memory.ts 10000     (figures only, no census)
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { type CensusEntry, heapCensus } from './connection-memory/heap-census.ts';
import { startInProcess } from './shared/in-process-server.ts';
import { ensureFileDescriptors } from './shared/proc-stats.ts';

const CONNECTIONS = Number(process.argv[2] ?? 2000);
const TRANSPORTS = (process.argv[3] ?? 'sse,websocket').split(',');
const SNAPSHOTS = process.env.SNAPSHOTS !== '0';
const WARM_UP = 100;
const TOP_KINDS = 25;

// The server's end of each connection is a descriptor here, the client's one in the child (which inherits the limit).
ensureFileDescriptors(CONNECTIONS + WARM_UP + 100);

if (TRANSPORTS.length > 1) {
  // One process per transport: memory the first one freed would be reused by the second, and hide in its RSS.
  for (const transport of TRANSPORTS) {
    const run = spawn(process.execPath, [process.argv[1]!, String(CONNECTIONS), transport], { stdio: 'inherit' });
    await new Promise((resolve) => run.once('exit', resolve));
  }
  process.exit(0);
}

// A full collection on demand, as `node --expose-gc` gives it.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const { app, baseUrl } = await startInProcess();

const clients = spawn(process.execPath, [new URL('./connection-memory/idle-clients.ts', import.meta.url).pathname], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const answers = createInterface({ input: clients.stdout! })[Symbol.asyncIterator]();
/** Sends the clients a command and waits for its answer. */
async function ask(command: string): Promise<void> {
  clients.stdin!.write(`${command}\n`);
  await answers.next();
}

interface Memory {
  heap: number;
  external: number;
  rss: number;
}

/** After the last handshakes are handled and a full collection (twice: weak maps and finalizers take two). */
async function measure(): Promise<Memory> {
  await delay(1000);
  gc();
  gc();
  const { external } = process.memoryUsage();
  return { heap: v8.getHeapStatistics().used_heap_size, external, rss: process.memoryUsage.rss() };
}

/** Writes a heap snapshot, read only once both are written (parsing one grows the heap). */
function snapshot(name: string): string {
  return v8.writeHeapSnapshot(join(tmpdir(), `connection-memory-${process.pid}-${name}.heapsnapshot`));
}

/** The snapshot's objects by kind; the file is removed. */
function census(file: string): Map<string, CensusEntry> {
  try {
    return heapCensus(file);
  } finally {
    rmSync(file);
  }
}

const transport = TRANSPORTS[0]!;
const open = (count: number) => ask(`open ${transport} ${count} ${baseUrl} bench-memory-${transport}`);
await open(WARM_UP);
const before = await measure();
await open(CONNECTIONS);
const after = await measure();
await ask('close');

const per = (bytes: number) => bytes / CONNECTIONS;
console.log(`${transport}: ${CONNECTIONS} idle connections (after ${WARM_UP} others), per connection:`);
console.log(`  JS heap   ${per(after.heap - before.heap).toFixed(0)} B  (used heap ${mib(before.heap)} → ${mib(after.heap)} MiB)`);
console.log(`  external  ${per(after.external - before.external).toFixed(0)} B`);
console.log(`  RSS       ${(per(after.rss - before.rss) / 1024).toFixed(1)} KiB  (${mib(before.rss)} → ${mib(after.rss)} MiB)`);

if (SNAPSHOTS) {
  // Apart from the figures above: writing a snapshot moves the heap's next figures.
  await open(WARM_UP);
  await measure();
  const snapshotBefore = snapshot('before');
  await open(CONNECTIONS);
  await measure();
  const snapshotAfter = snapshot('after');
  await ask('close');
  printGrowth(census(snapshotBefore), census(snapshotAfter));
}
clients.stdin!.end();
await app.close();

function printGrowth(before: Map<string, CensusEntry>, after: Map<string, CensusEntry>): void {
  const grown = [...after].map(([kind, { count, bytes }]) => ({
    kind,
    count: (count - (before.get(kind)?.count ?? 0)) / CONNECTIONS,
    bytes: (bytes - (before.get(kind)?.bytes ?? 0)) / CONNECTIONS,
  }));
  grown.sort((a, b) => b.bytes - a.bytes);
  const total = grown.reduce((sum, kind) => sum + kind.bytes, 0);
  console.log(`  heap snapshots, objects grown per connection (${total.toFixed(0)} B in all; count, self size):`);
  for (const { kind, count, bytes } of grown.slice(0, TOP_KINDS)) {
    console.log(`    ${count.toFixed(2).padStart(6)}  ${bytes.toFixed(0).padStart(5)} B  ${kind.slice(0, 80)}`);
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
