/**
 * Bytes the server allocates per delivery, and where: what the garbage
 * collector has to clean up after each event that reaches a subscriber. The
 * figures are exact counts of a sampled run (V8's sampling heap profiler,
 * counting objects already collected too), so unlike CPU time they do not
 * move with the machine's load: a change to the hot path shows in them at once.
 *
 *   node bench/allocations.ts [transport] [subscribers] [events]
 *   node bench/allocations.ts long-poll 1000 40        (the default)
 *   REDIS_URL=redis://127.0.0.1:6379 node bench/allocations.ts sse   (events through Redis)
 *
 * The server runs in this process (the profiler is reached through
 * node:inspector), as production runs it; the subscribers run in a child
 * process (bench/allocations/subscribers.ts). Prints the total per delivery,
 * the functions that allocate most themselves, and the server's own
 * functions with everything they call.
 */
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { startInProcess } from './shared/in-process-server.ts';

const [transport = 'long-poll', subscribers = '1000', events = '40'] = process.argv.slice(2);
const deliveries = Number(subscribers) * Number(events);
// One sample per 512 bytes on average: fine enough for a function that allocates one small object per delivery.
const SAMPLING_INTERVAL = 512;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const { app, baseUrl } = await startInProcess(process.env);
const clients = fork(new URL('./allocations/subscribers.ts', import.meta.url), [baseUrl, transport, subscribers, events]);
const said = () => new Promise((resolve) => clients.once('message', resolve));
await said(); // ready

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: SAMPLING_INTERVAL,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
clients.send('go');
await said(); // done
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
session.disconnect();
await app.close();

const own = new Map<string, number>();
const within = new Map<string, number>();
let total = 0;
(function walk(node: ProfileNode, callers: ReadonlySet<string>) {
  const name = frameName(node);
  total += node.selfSize;
  own.set(name, (own.get(name) ?? 0) + node.selfSize);
  const stack = new Set(callers).add(name);
  for (const caller of stack) within.set(caller, (within.get(caller) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, stack);
})(profile.head, new Set());

console.log(`${transport}, ${subscribers} subscribers × ${events} events: ${perDelivery(total)} allocated per delivery`);
console.log('\nAllocated by the function itself:');
print(own, () => true, 20);
console.log('\nAllocated by the server’s functions and what they call:');
print(within, (name) => name.includes('server/') || name.includes('src/'), 25);
process.exit(0);

function frameName({ callFrame }: ProfileNode): string {
  const file = callFrame.url.replace(/^file:\/\/.*?\/(server|src)\//, '$1/').replace(/^node:/, 'node:');
  return `${callFrame.functionName || '(anonymous)'} ${file || '(native)'}:${callFrame.lineNumber + 1}`;
}

function perDelivery(bytes: number): string {
  return `${(bytes / deliveries).toFixed(0)} B`;
}

function print(sizes: Map<string, number>, keep: (name: string) => boolean, count: number): void {
  const top = [...sizes]
    .filter(([name]) => keep(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
  for (const [name, bytes] of top) console.log(`${perDelivery(bytes).padStart(8)}  ${name}`);
}
