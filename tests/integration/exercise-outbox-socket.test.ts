import { once } from 'node:events';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { ExerciseVerdict } from '../../src/protocol/exercise-runs.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { checkOf, finishRun, newLearner, startRun } from './helpers/exercise-runs.ts';

/** How a chat client under test comes back and resends; the defaults are lesson 5's correct client. */
interface ClientHabits {
  /** The wait before reconnect attempt `attempt` (0-based). */
  wait: (attempt: number) => number;
  /** A resend keeps the message's clientId. */
  sameClientId: boolean;
}

/** Mulberry32: a small seeded [0, 1) generator, so a test's jitter is the same every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = seeded(5);
const fullJitter = (attempt: number) => Math.floor(random() * Math.min(2_000, 200 * 2 ** attempt));
const CORRECT: ClientHabits = { wait: fullJitter, sameClientId: true };

/**
 * A WebSocket chat client as the lesson's learner would write it: an outbox of
 * messages "1"…"5" sent one every 150 ms, each kept until its ack and sent again
 * after a reconnect. Resolves once all five are acknowledged.
 */
function chat(url: string, habits: ClientHabits): Promise<void> {
  const outbox = new Map<string, string>();
  let next = 1;
  let socket: WebSocket | undefined;
  let attempt = 0;
  return new Promise((resolve) => {
    const send = (clientId: string, text: string) => {
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'message', clientId, text }));
    };
    const connect = () => {
      const current = new WebSocket(url);
      socket = current;
      current.on('open', () => {
        attempt = 0;
        for (const [clientId, text] of [...outbox]) {
          if (habits.sameClientId) send(clientId, text);
          else {
            outbox.delete(clientId);
            const fresh = `${clientId}-again`;
            outbox.set(fresh, text);
            send(fresh, text);
          }
        }
      });
      current.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; clientId: string };
        if (message.type === 'ack') outbox.delete(message.clientId);
        if (next > 5 && outbox.size === 0) {
          clearInterval(sender);
          current.close();
          resolve();
        }
      });
      current.on('error', () => {});
      current.on('close', () => {
        if (socket !== current || (next > 5 && outbox.size === 0)) return;
        setTimeout(connect, habits.wait(attempt));
        attempt += 1;
      });
    };
    const sender = setInterval(() => {
      if (next > 5) return;
      const clientId = `m${next}`;
      outbox.set(clientId, String(next));
      send(clientId, String(next));
      next += 1;
    }, 150);
    connect();
  });
}

// One run at a time: the jitter check compares waits to 20 ms, and runs in parallel in one process stretch them.
describe('exercises the server verifies (lesson 5: the outbox)', () => {
  let server: RunningServer;

  before(async () => {
    // Waits of a few hundred ms: large beside what a busy test machine adds to each (tens of ms).
    server = await startServer({ exercises: { outboxOutageMs: 1_500 } });
  });
  after(() => server.stop());

  async function runWith(habits: Partial<ClientHabits>): Promise<ExerciseVerdict> {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'websockets', 'outbox', headers);
    assert.match(run.urls.socket!, /^ws:\/\/127\.0\.0\.1:\d+\/api\/exercise-runs\/[\w-]{22}\/socket$/);
    await Promise.race([chat(run.urls.socket!, { ...CORRECT, ...habits }), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    return finishRun(server.baseUrl, run, headers);
  }

  const check = checkOf;

  it('verifies a client with an outbox that reconnects with backoff and full jitter', async () => {
    const verdict = await runWith({});
    assert.equal(verdict.state, 'passed', JSON.stringify(verdict.checks, null, 2));
    assert.equal(check(verdict, 'resent').detail, '"2" came again as m2, and was acknowledged as 2 once more.');
  });

  it('fails a client that resends under a new clientId: the message is stored twice', async () => {
    const verdict = await runWith({ sameClientId: false });
    assert.equal(
      check(verdict, 'delivered').detail,
      '"2" was stored twice, under clientIds m2 and m2-again: a resend needs the id it was first sent with.',
    );
    assert.equal(check(verdict, 'resent').state, 'failed');
  });

  it('fails a client that waits the same time before every attempt', async () => {
    const verdict = await runWith({ wait: () => 500 });
    assert.equal(check(verdict, 'jitter').state, 'failed', check(verdict, 'jitter').detail);
    assert.match(check(verdict, 'jitter').detail, /^The same waits after every cut \(after cut 1: /);
  });

  it('fails a client that doubles its wait with no jitter', async () => {
    const verdict = await runWith({ wait: (attempt) => 200 * 2 ** attempt });
    assert.match(check(verdict, 'jitter').detail, /^Exponential backoff, but no jitter \(after cut 1: \d+ ms, \d+ ms/);
  });

  it('fails a client that hammers the restarting server', async () => {
    const verdict = await runWith({ wait: () => 50 });
    assert.match(check(verdict, 'backoff').detail, /attempts during outage 1 \(1\.5 s\): at most 10\./);
  });

  it('closes a socket that sends a frame too big (1009), and goes on serving', async () => {
    const { headers } = newLearner();
    const run = await startRun(server.baseUrl, 'websockets', 'outbox', headers);
    const socket = new WebSocket(run.urls.socket!);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('x'.repeat(5_000));
    const [code] = (await once(socket, 'close')) as [number];
    assert.equal(code, 1009);
    assert.equal((await fetch(server.baseUrl + apiRoutes.health.path())).status, 200);
    assert.deepEqual(server.errors, []);
  });

  it("answers a plain GET of a run's socket with 426, and an upgrade for no run with 404", async () => {
    const plain = await fetch(server.baseUrl + apiRoutes.exerciseRunSocket.path({ id: 'nope' }));
    assert.equal(plain.status, 426);
    assert.equal(plain.headers.get('upgrade'), 'websocket');
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.baseUrl.replace(/^http/, 'ws') + apiRoutes.exerciseRunSocket.path({ id: 'nope' }));
      socket.on('unexpected-response', (_, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => {});
    });
    assert.equal(refused, 404);
  });
});
