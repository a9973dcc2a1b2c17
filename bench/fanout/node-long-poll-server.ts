/**
 * The floor of bench/fanout.ts's long polling: the same exchange on bare
 * `node:http`, with nothing a real endpoint needs (no validation, limits,
 * security headers, faults or shared log). What a held poll costs here is
 * what Node's HTTP costs; ours is measured against it in the same run.
 *
 *   POST /api/channels/{channel}/events  {"type", "data"}  → 201 {"id", "ts"}
 *   GET  /api/long-poll/{channel}?cursor=N                 → 200 {"events", "cursor"}, held until there is one
 */
import { createServer, type ServerResponse } from 'node:http';
import { json } from 'node:stream/consumers';

interface Event {
  id: number;
  type: string;
  data: unknown;
  ts: number;
}

interface HeldPoll {
  cursor: number;
  response: ServerResponse;
}

// One channel is all the bench uses.
const log: Event[] = [];
let held: HeldPoll[] = [];

function answer({ cursor, response }: HeldPoll): void {
  const events = log.slice(cursor);
  response
    .writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
    .end(JSON.stringify({ events, cursor: log.length }));
}

const http = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'POST' && url.pathname.endsWith('/events')) {
    const { type, data } = (await json(request)) as { type: string; data: unknown };
    const event: Event = { id: log.length + 1, type, data, ts: Date.now() };
    log.push(event);
    const waiting = held;
    held = [];
    for (const poll of waiting) answer(poll);
    response.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: event.id, ts: event.ts }));
    return;
  }
  if (request.method === 'GET' && url.pathname.startsWith('/api/long-poll/')) {
    const poll: HeldPoll = { cursor: Number(url.searchParams.get('cursor')), response };
    if (log.length > poll.cursor) return answer(poll);
    held.push(poll);
    response.once('close', () => (held = held.filter((other) => other !== poll)));
    return;
  }
  response.writeHead(404).end();
});

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  // The line spawnServer waits for, as our server prints it.
  console.log(`node:http long polling → http://127.0.0.1:${address.port}/`);
});
process.once('SIGTERM', () => process.exit(0));
