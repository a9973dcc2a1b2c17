/**
 * What one client address can do to the server, with the limits off (as
 * before issue 18) and with the defaults (`src/protocol/rate-limits.ts`):
 *
 *  1. streams one address can hold open at once (SSE, up to STREAMS_TRIED);
 *  2. workshops created per second;
 *  3. join-code guesses answered per second (each a miss), and what the
 *     sustained rate means: the time to hit one of 500 open workshops;
 *  4. learner rows created per second by anonymous progress saves.
 *
 * Each rate is a burst of requests sent as fast as 10 loops can: what is
 * accepted of it, and how fast. Under the defaults that is the bucket's
 * burst; the sustained rate after it is the bucket's refill (printed last).
 *
 *   node bench/limits.ts
 *
 * Server and clients share this process (and the machine's cores): the
 * figures are for comparing the two runs, not absolute capacity.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { apiRoutes } from '../src/protocol/api-routes.ts';
import { RATE_LIMITS, JOIN_CODE_COSTS } from '../src/protocol/rate-limits.ts';
import { JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH } from '../src/protocol/workshops.ts';
import { startServer, type RunningServer } from '../tests/harness/start-server.ts';

const STREAMS_TRIED = 2_200;
const CONCURRENCY = 10;
const OPEN_WORKSHOPS = 500;

async function streamsHeld(server: RunningServer): Promise<number> {
  const requests: ClientRequest[] = [];
  let held = 0;
  try {
    for (let batch = 0; batch < STREAMS_TRIED; batch += 100) {
      const statuses = await Promise.all(
        Array.from(
          { length: 100 },
          (_, index) =>
            new Promise<number>((resolve) => {
              const request = httpRequest(
                `${server.baseUrl}${apiRoutes.sse.path({ channel: `bench-${batch + index}` })}`,
                { agent: false },
                (response) => {
                  response.resume();
                  resolve(response.statusCode ?? 0);
                },
              );
              request.on('error', () => resolve(0));
              request.end();
              requests.push(request);
            }),
        ),
      );
      held += statuses.filter((status) => status === 200).length;
      if (statuses.some((status) => status !== 200)) break;
    }
    return held;
  } finally {
    requests.forEach((request) => request.destroy());
  }
}

/** Sends `count` requests from CONCURRENCY loops; counts answers by status, and the requests a second. */
async function burst(count: number, send: () => Promise<number>): Promise<{ statuses: Map<number, number>; perSecond: number }> {
  const statuses = new Map<number, number>();
  const started = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < count) {
        sent += 1;
        const status = await send();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return { statuses, perSecond: count / ((performance.now() - started) / 1000) };
}

const randomCode = () =>
  Array.from({ length: JOIN_CODE_LENGTH }, () => JOIN_CODE_ALPHABET[Math.floor(Math.random() * JOIN_CODE_ALPHABET.length)]).join('');

async function measure(label: string, server: RunningServer): Promise<void> {
  const url = (path: string) => `${server.baseUrl}${path}`;
  const status = async (response: Promise<Response>) => {
    const answer = await response;
    await answer.arrayBuffer();
    return answer.status;
  };
  const sendJson = (method: string, path: string, body: string) =>
    status(fetch(url(path), { method, headers: { 'Content-Type': 'application/json' }, body }));
  const report = async (what: string, count: number, accepted: number, send: () => Promise<number>) => {
    const { statuses, perSecond } = await burst(count, send);
    const ok = statuses.get(accepted) ?? 0;
    const rate = (ok / count) * perSecond;
    console.log(
      `  ${what.padEnd(28)} ${String(ok).padStart(4)} of ${count} accepted (${String(statuses.get(429) ?? 0).padStart(4)} × 429), ` +
        `${rate.toFixed(rate < 10 ? 1 : 0)}/s accepted`,
    );
    return { rate, refused: statuses.get(429) ?? 0 };
  };
  console.log(`\n${label}`);
  const held = await streamsHeld(server);
  console.log(`  streams one address holds    ${held}${held === STREAMS_TRIED ? ' (all tried)' : ''}`);
  await report('workshops created', 100, 201, () => sendJson('POST', apiRoutes.workshops.path(), '{"title":"Bench"}'));
  const guesses = await report('join guesses answered (404)', 300, 404, () =>
    status(fetch(url(apiRoutes.workshop.path({ code: randomCode() })))),
  );
  await report('learner rows created', 600, 200, () => sendJson('PUT', apiRoutes.progress.path(), '{"lessons":{}}'));
  if (guesses.refused === 0) {
    // Unlimited, the burst rate is the sustained one.
    const minutes = JOIN_CODE_ALPHABET.length ** JOIN_CODE_LENGTH / OPEN_WORKSHOPS / guesses.rate / 60;
    console.log(`  at that guessing rate, one of ${OPEN_WORKSHOPS} open workshops is hit in ~${minutes.toFixed(0)} min (expected)`);
  }
}

// The server as it was before the limits: RATE_LIMITS=off and no stream cap worth the name.
const before = await startServer({ config: { rateLimits: false, maxConnectionsPerIp: 10_000_000 } });
await measure('Limits off (before issue 18)', before);
await before.stop();

const after = await startServer();
await measure('Default limits', after);
await after.stop();

const sustained = RATE_LIMITS.codeLookups.perAddress.refillPerSecond / JOIN_CODE_COSTS.unknown;
const days = JOIN_CODE_ALPHABET.length ** JOIN_CODE_LENGTH / OPEN_WORKSHOPS / sustained / 86_400;
console.log(
  `\nSustained guessing under the defaults: ${sustained} a second per address (after a burst of ` +
    `${RATE_LIMITS.codeLookups.perAddress.burst / JOIN_CODE_COSTS.unknown}); one of ${OPEN_WORKSHOPS} open workshops is hit in ~${days.toFixed(0)} days.`,
);
process.exit(0);
