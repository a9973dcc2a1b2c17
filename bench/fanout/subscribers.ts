/**
 * One client harness for every server bench/fanout.ts measures: it opens a
 * subscriber of a transport and calls `onEvent` with each event's `seq` (the
 * bench's own counter in the event's data) the moment it is parsed.
 */
import { Agent, request } from 'node:http';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import { WS_PATH, type ServerMessage } from '../../src/protocol/websocket.ts';
import { WireParser } from '../../src/protocol/sse-wire-parser.ts';

/** `node-long-poll` is long polling against bare `node:http` (bench/fanout/node-long-poll-server.ts), the floor. */
export type Transport = 'sse' | 'websocket' | 'long-poll' | 'node-long-poll' | 'socket.io';

/** What the bench publishes: its counter, and a payload the size of a chat message. */
export interface BenchData {
  seq: number;
  text: string;
}

export interface Subscriber {
  close(): void;
}

type OnEvent = (seq: number) => void;

/** Resolves once the subscriber is connected and subscribed, so nothing published after is missed. */
export function subscribe(transport: Transport, baseUrl: string, channel: string, onEvent: OnEvent): Promise<Subscriber> {
  if (transport === 'sse') return subscribeSse(baseUrl, channel, onEvent);
  if (transport === 'websocket') return subscribeWebSocket(baseUrl, channel, onEvent);
  if (transport === 'long-poll' || transport === 'node-long-poll') return subscribeLongPoll(baseUrl, channel, onEvent);
  return subscribeSocketIo(baseUrl, channel, onEvent);
}

function subscribeSse(baseUrl: string, channel: string, onEvent: OnEvent): Promise<Subscriber> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const parser = new WireParser();
    const stream = request({
      host: hostname,
      port,
      path: apiRoutes.sse.path({ channel }),
      headers: { Accept: 'text/event-stream' },
      agent: false,
    });
    stream.once('error', reject);
    stream.once('response', (response) => {
      response.setEncoding('utf8');
      let subscribed = false;
      response.on('data', (chunk: string) => {
        // The server subscribes before it writes the replay after `retry:`: the first chunk means subscribed.
        if (!subscribed) {
          subscribed = true;
          resolve({ close: () => stream.destroy() });
        }
        for (const event of parser.push(chunk).events) onEvent((JSON.parse(event.data) as BenchData).seq);
      });
    });
    stream.end();
  });
}

function subscribeWebSocket(baseUrl: string, channel: string, onEvent: OnEvent): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(baseUrl.replace('http', 'ws') + WS_PATH);
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'subscribe', channel, cursor: 0 })));
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as ServerMessage;
      if (message.type === 'subscribed') resolve({ close: () => socket.terminate() });
      if (message.type === 'event') onEvent((message.event.data as BenchData).seq);
    });
  });
}

/**
 * A long-poll loop on its own keep-alive connection: each answer's events,
 * then the next poll from its cursor. Subscribed once the first poll is sent:
 * an event published before the server holds it is in the log after cursor 0.
 */
function subscribeLongPoll(baseUrl: string, channel: string, onEvent: OnEvent): Promise<Subscriber> {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let closed = false;
  return new Promise((resolve, reject) => {
    const poll = (cursor: number, first: boolean) => {
      const ask = request(
        { host: hostname, port, path: apiRoutes.longPoll.path({ channel }, { cursor, timeout: 30_000 }), agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            if (closed) return;
            if (response.statusCode !== 200) return poll(cursor, false);
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as LongPollResponse;
            for (const event of answer.events) onEvent((event.data as BenchData).seq);
            poll(answer.cursor, false);
          });
        },
      );
      ask.once('error', (error) => (first ? reject(error) : undefined));
      ask.end(() => {
        if (!first) return;
        const close = () => {
          closed = true;
          agent.destroy();
        };
        resolve({ close });
      });
    };
    poll(0, true);
  });
}

function subscribeSocketIo(baseUrl: string, room: string, onEvent: OnEvent): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = io(baseUrl, { transports: ['websocket'], query: { room }, reconnection: false, forceNew: true });
    socket.once('connect_error', reject);
    // The server joins the room in its `connection` handler, before the client hears `connect`.
    socket.once('connect', () => resolve({ close: () => socket.disconnect() }));
    socket.on('event', (event: { data: BenchData }) => onEvent(event.data.seq));
  });
}
