// #region server
import { createServer, type ServerResponse } from 'node:http';
import { json } from 'node:stream/consumers';

const messages: { id: number; text: string }[] = [];
const waiting = new Set<{ after: number; res: ServerResponse }>();

export const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/api/messages') return void res.writeHead(404).end();
  if (req.method === 'POST') {
    const { text } = (await json(req).catch(() => ({}))) as { text?: unknown };
    if (typeof text !== 'string') return void res.writeHead(400).end();
    messages.push({ id: messages.length + 1, text });
    for (const waiter of waiting) answer(waiter.res, waiter.after);
    waiting.clear();
    return void res.writeHead(204).end();
  }
  const after = Number(url.searchParams.get('after')) || 0;
  if (messages.length > after) return answer(res, after);
  // Nothing new: hold the request until a message arrives, or answer 204 after 25 s.
  const waiter = { after, res };
  waiting.add(waiter);
  const timeout = setTimeout(() => {
    waiting.delete(waiter);
    res.writeHead(204).end();
  }, 25_000);
  // Answered, or the client went away: either way, stop waiting for it.
  res.on('close', () => {
    clearTimeout(timeout);
    waiting.delete(waiter);
  });
});

function answer(res: ServerResponse, after: number): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(messages.slice(after)));
}

if (process.argv[1] === import.meta.filename) server.listen(3000);
// #endregion server
