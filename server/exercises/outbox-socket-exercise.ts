import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { WS_CLOSE } from '../../src/protocol/websocket.ts';
import { rejectUpgrade } from '../websocket/reject-upgrade.ts';
import type { ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import { judgeOutboxSocket, OUTBOX_SOCKET_RULES, type ObservedCut, type ObservedMessage } from './outbox-socket-checks.ts';
import { RequestBudget } from './request-budget.ts';

/** What a `message` may hold: a clientId the client made up, and a short text. */
const LIMITS = { maxClientIdLength: 64, maxTextLength: 200, maxPayloadBytes: 4_096 } as const;

/**
 * Lesson 5's "Write it yourself": the learner's client sends messages "1"…"5"
 * on the run's own WebSocket, each `{type: 'message', clientId, text}`,
 * answered `{type: 'ack', clientId, id}`. The server closes the socket (1012)
 * when "2" arrives, before acking it, and again just after acking "3" and "4"; after
 * each cut it refuses every reconnect for 2 s, as a restarting server does.
 * A clientId it already has is acknowledged again with its first id, never
 * stored twice. Judged by {@link judgeOutboxSocket}.
 */
export function outboxSocketExercise(outageMs: number = OUTBOX_SOCKET_RULES.outageMs): ExerciseKind {
  return {
    lesson: 'websockets',
    exercise: 'outbox',
    open({ id, origin, maxRequests }: RunSetup): OpenExercise {
      const server = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPayloadBytes });
      const messages: ObservedMessage[] = [];
      const cuts: ObservedCut[] = [];
      const ids = new Map<string, number>();
      // Upgrades and messages alike: a runaway resend loop is cut off too.
      const budget = new RequestBudget(maxRequests);
      let outageUntil = 0;

      /** Texts seen: each scripted cut happens once, on the first arrival of its message. */
      const texts = new Set<string>();

      const cut = (socket: WebSocket) => {
        const observed: ObservedCut = { at: Date.now(), attempts: [] };
        cuts.push(observed);
        outageUntil = observed.at + outageMs;
        // The waits count from when the client can see the socket is gone.
        socket.once('close', () => (observed.at = Date.now()));
        socket.close(WS_CLOSE.serviceRestart, 'Restarting: reconnect with backoff and jitter');
      };

      const receive = (socket: WebSocket, data: RawData) => {
        // What arrives on a socket being cut is lost with it, as on a server that is going down.
        if (socket.readyState !== socket.OPEN) return;
        if (!budget.take()) return socket.close(WS_CLOSE.policyViolation, budget.spent().message.slice(0, 120));
        const message = parseMessage(data);
        if (typeof message === 'string') return socket.send(JSON.stringify({ type: 'error', message }));
        const known = ids.get(message.clientId);
        const firstArrival = !texts.has(message.text);
        texts.add(message.text);
        const id = known ?? ids.size + 1;
        ids.set(message.clientId, id);
        messages.push({ at: Date.now(), ...message, id, resend: known !== undefined });
        if (firstArrival && message.text === String(OUTBOX_SOCKET_RULES.cutBeforeAck)) return cut(socket);
        socket.send(JSON.stringify({ type: 'ack', clientId: message.clientId, id }));
        if (firstArrival && OUTBOX_SOCKET_RULES.cutsAfterAck.some((after) => message.text === String(after))) cut(socket);
      };

      return {
        urls: { socket: origin.replace(/^http/, 'ws') + apiRoutes.exerciseRunSocket.path({ id }) },
        get requests() {
          return budget.used;
        },
        checks: (final) => judgeOutboxSocket(messages, cuts, final, outageMs),
        upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
          if (!budget.take()) return rejectUpgrade(socket, budget.spent().init);
          const at = Date.now();
          const accepted = at >= outageUntil;
          const open = cuts.at(-1);
          if (open && !open.attempts.some((attempt) => attempt.accepted)) open.attempts.push({ at, accepted });
          if (!accepted) {
            const seconds = Math.ceil((outageUntil - at) / 1000);
            return rejectUpgrade(socket, {
              status: 503,
              detail: 'The server is restarting; try again later.',
              headers: { 'Retry-After': String(seconds) },
            });
          }
          server.handleUpgrade(request, socket, head, (webSocket) => {
            // A frame `ws` refuses (too big, not UTF-8) is reported here, and it closes the socket itself (1009, 1007).
            webSocket.on('error', () => {});
            webSocket.on('message', (data) => receive(webSocket, data));
          });
        },
        close() {
          for (const client of server.clients) client.terminate();
          server.close();
        },
      };
    },
  };
}

/** A `message` from the client, or why it is not one. */
function parseMessage(data: RawData): { clientId: string; text: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return 'Send JSON: {"type": "message", "clientId": "…", "text": "…"}.';
  }
  const { type, clientId, text } = (value ?? {}) as Record<string, unknown>;
  if (type !== 'message') return `Only {"type": "message"} is understood here, not ${JSON.stringify(type)}.`;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > LIMITS.maxClientIdLength) {
    return `"clientId" must be a string of 1–${LIMITS.maxClientIdLength} characters that you choose, the same on every resend.`;
  }
  if (typeof text !== 'string' || text.length > LIMITS.maxTextLength)
    return `"text" must be a string of at most ${LIMITS.maxTextLength} characters.`;
  return { clientId, text };
}
