import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Exchange, LaneTraffic, SocketMark } from './lane-traffic.ts';
import { readTrafficTag, type TrafficTag } from './traffic-tag.ts';

/**
 * Where a request is counted: the lane of a lab, or undefined for an
 * untagged request or an unknown (or forgotten) lab. Asked for every request
 * and handshake, so that it knows which lab each connection carries now.
 */
export type TrafficLookup = (tag: TrafficTag | undefined, socket: Socket) => LaneTraffic | undefined;

const NOTHING_YET: SocketMark = { read: 0, written: 0 };

// #region meter
/**
 * Counts the real bytes of lab traffic, per TCP connection, on the server
 * side: `socket.bytesRead` and `socket.bytesWritten` are what crossed the
 * connection above TCP — request lines, headers, bodies, chunked framing,
 * the WebSocket handshake and every frame — not an estimate from the body.
 *
 * A keep-alive connection carries many requests, some not lab traffic (the
 * widget's stats polls, page assets), so each request gets the bytes from
 * the end of the previous request on its connection to the end of its own
 * response. Browsers do not pipeline: the next request's first byte arrives
 * only after the previous response has gone, so nothing is counted twice.
 *
 * @returns a function that detaches the meter from the server.
 */
export function attachTrafficMeter(server: Server, lookup: TrafficLookup): () => void {
  /** Each connection's counters at the end of its last response. */
  const marks = new WeakMap<object, SocketMark>();
  const markNow = (socket: Socket): SocketMark => ({ read: socket.bytesRead, written: socket.bytesWritten });

  // Every request moves the mark, counted or not, so the next request starts after it: at the response's
  // 'finish', or at its 'close' when it was cut before it finished (the client left, a drop).
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const start = marks.get(socket) ?? NOTHING_YET;
    const tag = readTrafficTag(request.url);
    const lane = lookup(tag, socket);
    if (!lane) {
      // Not lab traffic (nearly every request, every SSE stream held): one listener shared by all, no closure each.
      response.on('finish', moveMark);
      response.on('close', moveMark);
      return;
    }
    const exchange: Exchange = lane.begin(socket, start);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const mark = markNow(socket);
      marks.set(socket, mark);
      lane.end(exchange, mark);
    };
    response.once('finish', end);
    response.once('close', end);
  };
  /** The mark of an uncounted response's connection, moved once: at 'finish' or 'close', whichever comes first. */
  function moveMark(this: ServerResponse): void {
    this.off('finish', moveMark);
    this.off('close', moveMark);
    marks.set(this.req.socket, markNow(this.req.socket));
  }

  // A WebSocket handshake is not a 'request': the socket is handed over whole,
  // and counted until it closes — the 101, then every frame both ways.
  const onUpgrade = (request: IncomingMessage, duplex: Duplex) => {
    const socket = duplex as Socket;
    const tag = readTrafficTag(request.url);
    const lane = lookup(tag, socket);
    if (!lane) return;
    const exchange = lane.begin(socket, marks.get(socket) ?? NOTHING_YET);
    socket.once('close', () => lane.end(exchange, markNow(socket)));
  };

  // First in line, before the app's own listeners can answer (and so write) anything.
  server.prependListener('request', onRequest);
  server.prependListener('upgrade', onUpgrade);
  return () => {
    server.off('request', onRequest);
    server.off('upgrade', onUpgrade);
  };
}
// #endregion meter
