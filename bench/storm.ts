/**
 * The figures lesson 7 quotes for the reconnect storm, reproducibly.
 *
 *   node bench/storm.ts [clients=100] [seeds=1000] [serverRuns=2]
 *
 * First the model (`src/protocol/storm-simulation.ts`) with seeds 1…`seeds`:
 * the spread of the peak per 100 ms, of the attempts and of the time until
 * every client is back, for exponential backoff and for full jitter, with the
 * lesson's base, cap and outage (`STORM_LIMITS`). Then `serverRuns` real
 * storms of each against the companion server (a child process), to show the
 * model and the server agree. Figures only: nothing here passes or fails.
 */
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { PRODUCTION_EVENTS, STORM_LIMITS, type StormDone } from '../src/protocol/production.ts';
import { seededRandom, simulateStorm, type BackoffStormStrategy } from '../src/protocol/storm-simulation.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';
import { AS_IN_PRODUCTION } from './shared/server-env.ts';

const clients = Number(process.argv[2] ?? 100);
const seeds = Number(process.argv[3] ?? 1_000);
const serverRuns = Number(process.argv[4] ?? 2);
const strategies: BackoffStormStrategy[] = ['exponential', 'full-jitter'];

const { baseMs, capMs } = STORM_LIMITS.backoff;
console.log(`${clients} clients, outage ${STORM_LIMITS.outageMs} ms, base ${baseMs} ms, cap ${capMs} ms, bins of ${STORM_LIMITS.binMs} ms`);
console.log(`\nModel, seeds 1–${seeds}: median [5th–95th percentile] (min–max)`);
for (const strategy of strategies) {
  const runs = Array.from({ length: seeds }, (_, seed) => simulateStorm({ clients, strategy, random: seededRandom(seed + 1) }));
  const describe = (values: number[], unit = '') => {
    const sorted = values.toSorted((a, b) => a - b);
    const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
    return `${at(0.5)}${unit} [${at(0.05)}–${at(0.95)}] (${sorted[0]}–${sorted.at(-1)})`;
  };
  console.log(`  ${strategy}:`);
  console.log(`    peak per 100 ms  ${describe(runs.map((run) => run.peak))}`);
  console.log(`    attempts         ${describe(runs.map((run) => run.attempts))}`);
  console.log(
    `    all back after   ${describe(
      runs.map((run) => Math.round(run.allBackMs / 100) / 10),
      ' s',
    )}`,
  );
}

console.log(`\nFull jitter with other bases and caps (model, seeds 1–${seeds}, medians):`);
for (const policy of [
  { baseMs: 1_000, capMs: 2_000 },
  { baseMs: 1_000, capMs: 4_000 },
  { baseMs: 1_000, capMs: 8_000 },
  { baseMs: 1_000, capMs: 30_000 },
  { baseMs: 500, capMs: 8_000 },
  { baseMs: 2_000, capMs: 8_000 },
]) {
  const runs = Array.from({ length: seeds }, (_, seed) =>
    simulateStorm({ clients, strategy: 'full-jitter', policy, random: seededRandom(seed + 1) }),
  );
  const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `  base ${policy.baseMs / 1000} s, cap ${policy.capMs / 1000} s: peak ${median(runs.map((run) => run.peak))}, ` +
      `${median(runs.map((run) => run.attempts))} attempts, all back after ${(median(runs.map((run) => run.allBackMs)) / 1000).toFixed(1)} s`,
  );
}

if (serverRuns > 0) {
  console.log(`\nThe companion server, ${serverRuns} run(s) each (real clients over loopback):`);
  const server = await spawnServer(AS_IN_PRODUCTION);
  try {
    for (const strategy of strategies) {
      for (let run = 0; run < serverRuns; run += 1) {
        const done = await storm(server.baseUrl, `bench-storm-${process.pid}-${strategy}-${run}`, strategy);
        const back =
          done.allBackMs === null ? `${done.back} of ${done.clients} back` : `all back after ${(done.allBackMs / 1000).toFixed(1)} s`;
        console.log(`  ${strategy}: peak ${done.peak} per 100 ms, ${done.attempts} attempts, ${back}`);
      }
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

/** One storm on the server: follows its channel's SSE stream until `storm-done`. */
async function storm(baseUrl: string, channel: string, strategy: BackoffStormStrategy): Promise<StormDone> {
  const stream = await fetch(`${baseUrl}${apiRoutes.sse.path({ channel })}`, { headers: { accept: 'text/event-stream' } });
  const started = await fetch(`${baseUrl}${apiRoutes.storms.path()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel, strategy, clients }),
  });
  if (started.status !== 202) throw new Error(`POST ${apiRoutes.storms.path()}: ${started.status} ${await started.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream.body!) {
    text += decoder.decode(chunk, { stream: true });
    const match = new RegExp(`event: ${PRODUCTION_EVENTS.stormDone}\\ndata: (.*)\\n`).exec(text);
    // Leaving the loop cancels the stream.
    if (match) return JSON.parse(match[1]!) as StormDone;
  }
  throw new Error('The stream ended before storm-done.');
}
