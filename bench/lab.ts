/**
 * Lesson 6's side-by-side lab, run from Node at three event rates, printing
 * the table the widget shows — the figures for the lesson's "done when".
 *
 *   node bench/lab.ts [intervalMs=5000] [slowMs=90000] [fastMs=30000]
 *
 * It starts the real companion server (API only, a child process on a free
 * loopback port) and drives the widget's own model (src/widgets/lab/model.ts)
 * with the widget's own five clients: fetch for the pollers, EventSource (the
 * `eventsource` package: Node has no EventSource of its own) and Node's
 * WebSocket. The server counts the bytes of every connection, as for a browser.
 *
 * What was actually run, so that it stays under two minutes:
 * - three labs at the same time on one server: 1 per minute for `slowMs`
 *   (90 s by default: one or two events, so its per-event figures are those
 *   of one or two events), 1 per second and 20 per second for `fastMs`;
 * - polling every `intervalMs` (5 s), long polls held 25 s.
 * Latency is measured on this process's clock; server and client share the
 * machine, so the clock offset is ~0. Node's fetch sends fewer request
 * headers than a browser (~100–200 B against ~500–800 B), so requests cost
 * less here than in the widget. Figures, never pass/fail.
 */
import { EventSource } from 'eventsource';
import { ALL_LANES } from '../src/widgets/lab/all-lanes.ts';
import { createLabApi } from '../src/widgets/lab/lab-api.ts';
import { createLabModel, type LabModel } from '../src/widgets/lab/model.ts';
import { DURATION_STEPS, INTERVAL_STEPS, RATE_STEPS } from '../src/widgets/lab/settings.ts';
import { describeRun, tableCells, TABLE_HEADER } from '../src/widgets/lab/summary.ts';
import { spawnServer } from '../tests/harness/spawn-server.ts';
import { AS_IN_PRODUCTION } from './shared/server-env.ts';

const intervalMs = Number(process.argv[2] ?? 5_000);
const slowMs = Number(process.argv[3] ?? 90_000);
const fastMs = Number(process.argv[4] ?? 30_000);

// The lanes use the browser's EventSource; Node 24 has fetch and WebSocket but not this one.
(globalThis as { EventSource?: unknown }).EventSource ??= EventSource;

// ——— the server ———
const server = await spawnServer(AS_IN_PRODUCTION);
const baseUrl = `${server.baseUrl}/`;

/** One model, as the widget makes it, with settings outside the sliders' steps allowed. */
function labAt(rateShort: string, durationMs: number): LabModel {
  const model = createLabModel({
    api: createLabApi({ baseUrl }),
    baseUrl: () => baseUrl,
    lanes: ALL_LANES,
  });
  model.setRateIndex(RATE_STEPS.findIndex((step) => step.short === rateShort));
  model.intervalMs.value = intervalMs; // the signals accept any value; the setters keep to the sliders' steps
  model.durationMs.value = durationMs;
  if (!INTERVAL_STEPS.includes(intervalMs) || !DURATION_STEPS.includes(durationMs)) {
    // Not a slider step: fine for the bench, said here so nobody looks for it in the widget.
    console.log(`(${rateShort}: ${intervalMs} ms / ${durationMs} ms are not slider steps of the widget)`);
  }
  return model;
}

const plan: [string, number][] = [
  ['1/min', slowMs],
  ['1/s', fastMs],
  ['20/s', fastMs],
];
const started = Date.now();
console.log(
  `Running three labs at once for up to ${Math.round(Math.max(slowMs, fastMs) / 1000)} s (+ the pollers' last interval), node ${process.version}…\n`,
);
const labs = plan.map(([rate, duration]) => ({ rate, model: labAt(rate, duration) }));
await Promise.all(labs.map(({ model }) => model.start()));
for (const { rate, model } of labs) {
  if (model.phase.value !== 'running') throw new Error(`The ${rate} lab did not start: ${model.error.value}`);
}
await Promise.all(
  labs.map(
    ({ model }) =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (model.phase.value === 'done') {
            clearInterval(timer);
            resolve();
          }
        }, 200);
      }),
  ),
);

// ——— the table ———
const header = ['Rate', ...TABLE_HEADER];
const body = labs.flatMap(({ rate, model }) =>
  tableCells(model.rows.value, model.description.value?.published ?? 0).map((cells) => [rate, ...cells]),
);
const widths = header.map((cell, column) => Math.max(cell.length, ...body.map((cells) => cells[column]!.length)));
const line = (cells: string[]) =>
  `| ${cells.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;

for (const { rate, model } of labs) console.log(`${rate}: ${describeRun(model.description.value!)}`);
console.log(`Polling every ${intervalMs / 1000} s; long polls held 25 s. Wall time ${Math.round((Date.now() - started) / 1000)} s.\n`);
console.log(line(header));
console.log(`|${widths.map((width, column) => (column <= 1 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`);
for (const cells of body) console.log(line(cells));
console.log('');
for (const { rate, model } of labs) {
  console.log(`${rate}:`);
  for (const sentence of model.conclusions.value) console.log(`  - ${sentence}`);
}

for (const { model } of labs) model.dispose();
server.child.kill('SIGTERM');
await server.exited;
