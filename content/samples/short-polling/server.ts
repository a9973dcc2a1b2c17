// #region server
import { createServer } from 'node:http';
import { json } from 'node:stream/consumers';

// The state readers poll. POST /api/score sets it; every change bumps the version.
let score = { version: 1, home: 0, away: 0 };

export const server = createServer(async (req, res) => {
  if (req.url !== '/api/score') return void res.writeHead(404).end();
  if (req.method === 'POST') {
    const { home, away } = (await json(req).catch(() => ({}))) as { home?: unknown; away?: unknown };
    if (!Number.isInteger(home) || !Number.isInteger(away)) return void res.writeHead(400).end();
    score = { version: score.version + 1, home: home as number, away: away as number };
    return void res.writeHead(204).end();
  }
  const etag = `"${score.version}"`;
  const headers = { ETag: etag, 'Cache-Control': 'no-cache' };
  // The client already has this version: headers only, no body.
  if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
  res.end(JSON.stringify(score));
});

if (process.argv[1] === import.meta.filename) server.listen(3000);
// #endregion server
