/**
 * The comparison server of bench/fanout.ts: socket.io 4 as its documentation
 * shows it, on its WebSocket transport only (what the issue measured), with
 * its default settings otherwise (no per-message compression).
 *
 *   POST /publish?room=R  {"type": "...", "data": ...}  → 201 {"id": N}
 *
 * broadcasts `{ id, type, data, publishedAt }` with `io.to(room).emit('event', …)`
 * to every socket that connected with `?room=R` — the same event, the same
 * ids per room and the same JSON our server publishes, so both do the same work.
 */
import { createServer } from 'node:http';
import { json } from 'node:stream/consumers';
import { Server } from 'socket.io';

const lastIds = new Map<string, number>();

const http = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const room = url.searchParams.get('room');
  if (request.method !== 'POST' || url.pathname !== '/publish' || !room) {
    response.writeHead(404).end();
    return;
  }
  const { type, data } = (await json(request)) as { type: string; data: unknown };
  const id = (lastIds.get(room) ?? 0) + 1;
  lastIds.set(room, id);
  io.to(room).emit('event', { id, type, data, publishedAt: Date.now() });
  response.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id }));
});

const io = new Server(http, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => {
  const room = socket.handshake.query.room;
  if (typeof room === 'string') void socket.join(room);
});

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  // The line spawnServer waits for, as our server prints it.
  console.log(`socket.io → http://127.0.0.1:${address.port}/`);
});
process.once('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
