// #region server
import { createServer } from 'node:http';
import { json } from 'node:stream/consumers';

// POST /api/answer with {"question": "…"} streams an answer one word per event, the way a
// language model's API streams tokens. (This one only has the question's words to give back.)
export const server = createServer(async (req, res) => {
  if (req.url !== '/api/answer' || req.method !== 'POST') return void res.writeHead(404).end();
  const { question } = (await json(req).catch(() => ({}))) as { question?: unknown };
  if (typeof question !== 'string') return void res.writeHead(400).end();
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  for (const word of question.split(/\s+/).filter(Boolean)) {
    if (res.destroyed) return; // the reader aborted
    res.write(`data: ${JSON.stringify(word)}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  res.end('event: done\ndata: {}\n\n');
});

if (process.argv[1] === import.meta.filename) server.listen(3000);
// #endregion server
