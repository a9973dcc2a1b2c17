import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { IDLE_HOP_HEADER, IDLE_HOP_LIMITS, IDLE_HOP_VIA } from '../../src/protocol/production.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem, sendProblem } from '../http/problem.ts';
import type { RouteHandler } from '../http/router.ts';
import { assertValidChannel } from '../http/validate.ts';
import { loopbackTarget } from './loopback-target.ts';
import { internalHeaders } from '../limits/internal-requests.ts';

/** The hop's route and what it holds. */
export interface IdleHop {
  /** `GET /api/production/idle-hop/{idleMs}/sse/{channel}`. */
  route: RouteHandler;
  /** Connections through the hop now. */
  open(): number;
  /** Connections the hop has cut for being idle, since the server started. */
  readonly cuts: number;
  /** Cuts every connection through the hop. */
  close(): void;
}

/** Response headers of the upstream worth passing on; hop-by-hop ones (RFC 9110 §7.6.1) never are. */
const FORWARDED_HEADERS = ['content-type', 'cache-control', 'x-accel-buffering', 'x-content-type-options'];

/**
 * An idle-killing hop between the page and the SSE endpoint: a small reverse
 * proxy inside the server that forwards `GET /api/sse/{channel}` over
 * loopback, byte for byte, and cuts both connections once nothing has come
 * from upstream for `idleMs` — as nginx does when `proxy_read_timeout`
 * passes ("the timeout is set only between two successive read operations"),
 * or a load balancer with its idle timeout. Any byte counts, a heartbeat
 * comment as much as an event.
 *
 * The cut is abrupt: the response is destroyed mid-stream, without the last
 * chunk, so the browser sees a network error, as behind a real proxy.
 */
export function createIdleHop(maxOpen: number = IDLE_HOP_LIMITS.maxOpen): IdleHop {
  const open = new Set<() => void>();
  let cuts = 0;

  const route: RouteHandler = ({ request, response, url, params }) => {
    const idleMs = parseIdleMs(params.idleMs ?? '');
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    if (open.size >= maxOpen) {
      throw new HttpProblem({
        status: 503,
        detail: `The idle hop carries ${maxOpen} connections at most; try again in a moment.`,
        headers: { 'Retry-After': '5' },
      });
    }
    const target = loopbackTarget(request);
    const headers: OutgoingHttpHeaders = { Accept: 'text/event-stream' };
    const lastEventId = request.headers['last-event-id'];
    if (typeof lastEventId === 'string') headers['Last-Event-ID'] = lastEventId;
    const upstream = httpRequest({
      host: target.host,
      port: target.port,
      method: request.method === 'HEAD' ? 'HEAD' : 'GET',
      // The query (`heartbeat`, `lastEventId`) goes along unchanged.
      path: apiRoutes.sse.path({ channel }) + url.search,
      // The reader's own request holds this stream's slot; the hop behind it is not counted twice.
      headers: internalHeaders(headers),
      agent: false,
    });
    forward(upstream, response, idleMs, () => (cuts += 1), open);
    upstream.end();
  };

  return {
    route,
    open: () => open.size,
    get cuts() {
      return cuts;
    },
    close() {
      for (const cut of [...open]) cut();
    },
  };
}

// #region idle-hop
/** Pipes the upstream's answer to the client, and cuts both once upstream has been silent for `idleMs`. */
function forward(upstream: ClientRequest, response: ServerResponse, idleMs: number, onIdleCut: () => void, open: Set<() => void>): void {
  const cut = () => {
    upstream.destroy();
    response.destroy();
  };
  // Armed from the request on, re-armed by every byte from upstream.
  const idleTimer = setTimeout(() => {
    onIdleCut();
    cut();
  }, idleMs);
  open.add(cut);
  response.once('close', () => {
    clearTimeout(idleTimer);
    open.delete(cut);
    upstream.destroy(); // the client left: so does the hop's upstream connection
  });

  upstream.on('response', (incoming: IncomingMessage) => {
    response.writeHead(incoming.statusCode ?? 502, forwardedHeaders(incoming, idleMs));
    response.flushHeaders();
    incoming.on('data', () => idleTimer.refresh());
    incoming.pipe(response);
    incoming.once('aborted', cut);
    incoming.once('error', cut);
  });
  upstream.on('error', () => {
    if (response.headersSent) return cut();
    sendProblem(response, { status: 502, detail: 'The idle hop could not reach the SSE endpoint.' });
  });
}
// #endregion idle-hop

function forwardedHeaders(incoming: IncomingMessage, idleMs: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of FORWARDED_HEADERS) {
    const value = incoming.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  // RFC 9110 §7.6.3: each intermediary adds itself to Via.
  const via = incoming.headers.via;
  headers.Via = via ? `${via}, ${IDLE_HOP_VIA}` : IDLE_HOP_VIA;
  headers[IDLE_HOP_HEADER] = String(idleMs);
  return headers;
}

function parseIdleMs(raw: string): number {
  const value = Number(raw);
  if (/^\d+$/.test(raw) && value >= IDLE_HOP_LIMITS.minIdleMs && value <= IDLE_HOP_LIMITS.maxIdleMs) return value;
  throw new HttpProblem({
    status: 400,
    type: PROBLEM_TYPES.invalidQuery,
    detail: `The idle limit in the URL is ${JSON.stringify(raw.slice(0, 20))}; it must be a whole number of ms from ${IDLE_HOP_LIMITS.minIdleMs} to ${IDLE_HOP_LIMITS.maxIdleMs}.`,
    extensions: { parameter: 'idleMs' },
  });
}
