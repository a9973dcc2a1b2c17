/**
 * A workshop of 200 learners against one server in a child process (so its
 * memory is its own), every learner a real HTTP client with two real SSE
 * streams (its workshop stream and the SSE demo of lesson 4), the host a
 * real dashboard stream. It reports:
 *
 *  1. dashboard update latency — a learner's action (join, a progress save
 *     through `PUT /api/progress`, "done with this step", moving to another
 *     lesson) → the matching `member` event on the host's stream, one learner
 *     at a time and with all 200 acting at once;
 *  2. fan-out latency — the host's "send everyone to a lesson" → the `goto`
 *     on every learner stream, and a broadcast → the event on every
 *     learner's demo stream;
 *  3. the server's resident memory before the class, with everyone
 *     connected, and after the load; the dashboard snapshot's size.
 *
 *   node bench/workshop.ts [learners]
 *
 * It prints figures only; timings depend on the machine (2 cores here, the
 * clients share them with the server).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { EventSource } from 'eventsource';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import type { Progress } from '../src/protocol/progress.ts';
import {
  BROADCAST_EVENT_TYPE,
  HOST_EVENTS,
  LEARNER_EVENTS,
  WORKSHOP_TIMINGS,
  type CreatedWorkshop,
  type HostSnapshot,
  type MemberView,
  type Membership,
} from '../src/protocol/workshops.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';
import { AS_IN_PRODUCTION } from './shared/server-env.ts';

const LEARNERS = Number(process.argv[2] ?? 200);
/** Learners acting one after another, for the unloaded latency. */
const SEQUENTIAL_SAMPLES = 100;

const server = await spawnServer(AS_IN_PRODUCTION);
const { baseUrl, child } = server;

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (value: number) => value.toFixed(2).padStart(8);
  return (
    `${label.padEnd(46)} n=${String(sorted.length).padEnd(4)} median ${ms(quantile(sorted, 0.5))}` +
    `  p99 ${ms(quantile(sorted, 0.99))}  max ${ms(sorted.at(-1)!)} ms`
  );
}

async function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  const response = await fetch(`${baseUrl}${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} → ${response.status}: ${await response.text()}`);
  return response;
}

/** An EventSource whose requests carry `headers` (the cookie or the host secret). */
function stream(path: string, headers: Record<string, string>): EventSource {
  return new EventSource(`${baseUrl}${path}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }),
  });
}

function opened(source: EventSource): Promise<void> {
  return new Promise((resolve, reject) => {
    source.addEventListener('open', () => resolve(), { once: true });
    source.addEventListener('error', (error) => reject(error), { once: true });
  });
}

// ── The host ────────────────────────────────────────────────────────────────
const baselineMb = rssMb();
const created = (await (
  await call(apiRoutes.workshops.path(), { method: 'POST', json: { title: 'Bench class' } })
).json()) as CreatedWorkshop;
const code = created.workshop.code;
const hostHeaders = { Authorization: `Bearer ${created.secret}` };
const snapshot = (await (await call(apiRoutes.workshopHost.path({ code }), { headers: hostHeaders })).json()) as HostSnapshot;

/** Resolvers waiting for a member event that passes their test, by member id. */
const memberWaiters = new Map<string, { test: (view: MemberView) => boolean; resolve: (at: number) => void }[]>();
let memberEvents = 0;
const host = stream(`${apiRoutes.workshopHostStream.path({ code })}?lastEventId=${snapshot.cursor}`, hostHeaders);
host.addEventListener(HOST_EVENTS.member, (event) => {
  const at = performance.now();
  memberEvents += 1;
  const view = JSON.parse(event.data) as MemberView;
  const waiting = memberWaiters.get(view.id) ?? [];
  for (const waiter of [...waiting]) {
    if (!waiter.test(view)) continue;
    waiting.splice(waiting.indexOf(waiter), 1);
    waiter.resolve(at);
  }
});
await opened(host);

function dashboardSees(memberId: string, test: (view: MemberView) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const list = memberWaiters.get(memberId) ?? [];
    list.push({ test, resolve });
    memberWaiters.set(memberId, list);
  });
}

/** A name the host can see; `joinedAt` is the first member event of this id. */
let pendingJoins = new Map<string, (at: number) => void>();
host.addEventListener(HOST_EVENTS.member, (event) => {
  const view = JSON.parse(event.data) as MemberView;
  pendingJoins.get(view.name)?.(performance.now());
  pendingJoins.delete(view.name);
});

// ── The learners ────────────────────────────────────────────────────────────
interface Learner {
  index: number;
  cookie: string;
  memberId: string;
  channel: string;
  workshopStream: EventSource;
  demoStream: EventSource;
  onGoto?: (at: number) => void;
  onBroadcast?: (at: number) => void;
}

async function join(index: number): Promise<{ learner: Learner; latency: number }> {
  const name = `Learner ${String(index).padStart(3, '0')}`;
  const seen = new Promise<number>((resolve) => pendingJoins.set(name, resolve));
  const started = performance.now();
  const response = await call(apiRoutes.workshopMembers.path({ code }), { method: 'POST', json: { name } });
  const membership = (await response.json()) as Membership;
  const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  const latency = (await seen) - started;

  const channel = `bench-demo-${index}`;
  const learner: Learner = {
    index,
    cookie,
    memberId: membership.member.id,
    channel,
    workshopStream: stream(apiRoutes.workshopLearnerStream.path({ code }), { Cookie: cookie }),
    demoStream: stream(apiRoutes.sse.path({ channel }), {}),
  };
  learner.workshopStream.addEventListener(LEARNER_EVENTS.goto, () => learner.onGoto?.(performance.now()));
  learner.demoStream.addEventListener(BROADCAST_EVENT_TYPE, () => learner.onBroadcast?.(performance.now()));
  await Promise.all([opened(learner.workshopStream), opened(learner.demoStream)]);
  await heartbeat(learner, 'why-real-time');
  return { learner, latency };
}

function heartbeat(learner: Learner, lesson: string | null): Promise<Response> {
  return call(apiRoutes.workshopHeartbeat.path({ code }), {
    method: 'POST',
    headers: { Cookie: learner.cookie },
    json: { lesson, channels: [learner.channel] },
  });
}

function completeLesson(learner: Learner, lesson: string, at: number): Promise<Response> {
  const progress: Progress = { lessons: { [lesson]: { visitedAt: at - 1, completedAt: at } } };
  return call(apiRoutes.progress.path(), { method: 'PUT', headers: { Cookie: learner.cookie }, json: progress });
}

const learners: Learner[] = [];
const joinLatencies: number[] = [];
const joinStarted = performance.now();
// Ten at a time: a room joining over a minute or two, compressed.
for (let first = 0; first < LEARNERS; first += 10) {
  const batch = await Promise.all(Array.from({ length: Math.min(10, LEARNERS - first) }, (_, offset) => join(first + offset)));
  for (const { learner, latency } of batch) {
    learners.push(learner);
    joinLatencies.push(latency);
  }
}
const joinSeconds = (performance.now() - joinStarted) / 1000;
await delay(500);
const connectedMb = rssMb();
pendingJoins = new Map();

console.log(`Workshop bench: ${LEARNERS} learners, each with 2 SSE streams (workshop + demo), 1 host stream.`);
console.log(`Server at ${baseUrl} (pid ${child.pid}), heartbeats every ${WORKSHOP_TIMINGS.heartbeatMs} ms in the browser.\n`);
console.log(`all ${LEARNERS} joined, streams open, in ${joinSeconds.toFixed(1)} s`);
console.log(summary('join → dashboard (10 joining at once)', joinLatencies));

// ── 1. Dashboard update latency ─────────────────────────────────────────────
{
  const samples: number[] = [];
  for (const learner of learners.slice(0, SEQUENTIAL_SAMPLES)) {
    const at = Date.now();
    const seen = dashboardSees(learner.memberId, (view) => view.completed['short-polling'] !== undefined);
    const started = performance.now();
    await completeLesson(learner, 'short-polling', at);
    samples.push((await seen) - started);
  }
  console.log(summary('progress save → dashboard, one at a time', samples));
}
{
  const at = Date.now();
  const results = await Promise.all(
    learners.map(async (learner) => {
      const seen = dashboardSees(learner.memberId, (view) => view.completed['long-polling'] !== undefined);
      const started = performance.now();
      await completeLesson(learner, 'long-polling', at);
      return (await seen) - started;
    }),
  );
  console.log(summary(`progress save → dashboard, all ${LEARNERS} at once`, results));
}
{
  const results = await Promise.all(
    learners.map(async (learner) => {
      const seen = dashboardSees(learner.memberId, (view) => view.doneAt !== null);
      const started = performance.now();
      await call(apiRoutes.workshopDone.path({ code }), { method: 'PUT', headers: { Cookie: learner.cookie }, json: { done: true } });
      return (await seen) - started;
    }),
  );
  console.log(summary(`"done with this step" → dashboard, all at once`, results));
}
{
  const results = await Promise.all(
    learners.map(async (learner) => {
      const seen = dashboardSees(learner.memberId, (view) => view.lesson === 'long-polling');
      const started = performance.now();
      await heartbeat(learner, 'long-polling');
      return (await seen) - started;
    }),
  );
  console.log(summary('heartbeat with a new lesson → dashboard, all', results));
}
{
  // A heartbeat that changes nothing must not reach the dashboard at all.
  const before = memberEvents;
  await Promise.all(learners.map((learner) => heartbeat(learner, 'long-polling')));
  await delay(300);
  console.log(`unchanged heartbeats from all ${LEARNERS}: ${memberEvents - before} dashboard events (0 expected)`);
}

// ── 2. Fan-out from the host ────────────────────────────────────────────────
async function fanOut(label: string, slot: 'onGoto' | 'onBroadcast', act: () => Promise<Response>): Promise<void> {
  const arrivals = learners.map((learner) => new Promise<number>((resolve) => (learner[slot] = resolve)));
  const started = performance.now();
  await act();
  const latencies = (await Promise.all(arrivals)).map((at) => at - started);
  console.log(summary(label, latencies));
}
await fanOut(`goto → ${LEARNERS} learner streams`, 'onGoto', () =>
  call(apiRoutes.workshopGoto.path({ code }), { method: 'POST', headers: hostHeaders, json: { lesson: 'server-sent-events' } }),
);
await fanOut(`broadcast → ${LEARNERS} demo SSE streams`, 'onBroadcast', () =>
  call(apiRoutes.workshopBroadcast.path({ code }), { method: 'POST', headers: hostHeaders, json: { text: 'Open the wire view now' } }),
);

// ── 3. Snapshot, CSV and memory ─────────────────────────────────────────────
{
  const started = performance.now();
  const body = await (await call(apiRoutes.workshopHost.path({ code }), { headers: hostHeaders })).text();
  const took = performance.now() - started;
  const csv = await (await call(apiRoutes.workshopResults.path({ code }), { headers: hostHeaders })).text();
  const rows = csv.trimEnd().split('\r\n').length - 1;
  console.log(`dashboard snapshot: ${(body.length / 1024).toFixed(1)} KiB for ${LEARNERS} members, fetched in ${took.toFixed(1)} ms`);
  console.log(`CSV export: ${(csv.length / 1024).toFixed(1)} KiB, ${rows} rows`);
}
const loadedMb = rssMb();
console.log(
  `server RSS: ${baselineMb.toFixed(1)} MB at start → ${connectedMb.toFixed(1)} MB with everyone connected ` +
    `(${(((connectedMb - baselineMb) * 1024) / LEARNERS).toFixed(1)} KB per learner, 2 streams each) → ${loadedMb.toFixed(1)} MB after the load`,
);

for (const learner of learners) {
  learner.workshopStream.close();
  learner.demoStream.close();
}
host.close();
child.kill('SIGTERM');
