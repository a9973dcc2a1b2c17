// #region server
import { createServer, type ServerResponse } from 'node:http';
import { json } from 'node:stream/consumers';

const messages: { id: number; text: string }[] = [];
const streams = new Set<ServerResponse>();

export const server = createServer(async (req, res) => {
  if (req.url === '/api/messages' && req.method === 'POST') {
    const { text } = (await json(req).catch(() => ({}))) as { text?: unknown };
    if (typeof text !== 'string') return void res.writeHead(400).end();
    const message = { id: messages.length + 1, text };
    messages.push(message);
    for (const stream of streams) send(stream, message);
    return void res.writeHead(204).end();
  }
  if (req.url !== '/api/events') return void res.writeHead(404).end();
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  // A browser that reconnects sends the last id it saw: replay what it missed.
  const lastId = Number(req.headers['last-event-id']) || 0;
  for (const message of messages.slice(lastId)) send(res, message);
  streams.add(res);
  // A comment line every 15 s keeps proxies from closing a quiet stream.
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  res.on('close', () => {
    clearInterval(heartbeat);
    streams.delete(res);
  });
});

function send(stream: ServerResponse, message: { id: number; text: string }): void {
  stream.write(`id: ${message.id}\ndata: ${JSON.stringify(message)}\n\n`);
}

if (process.argv[1] === import.meta.filename) server.listen(3000);
// #endregion server
