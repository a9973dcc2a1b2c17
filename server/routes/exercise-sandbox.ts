import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { cameOverHttps } from '../http/cookies.ts';
import type { RouteHandler } from '../http/router.ts';

/** The frame's script: browser code the server only inlines (it never runs it), so it is read as text, not imported. */
const FRAME_SCRIPT_FILE = new URL('../../src/exercises/sandbox-frame.js', import.meta.url);

/** A `Host` that can go into a policy as it is: a name or address and a port, nothing that could end the directive. */
const PLAIN_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * `GET /api/exercise-sandbox`: the document of the frame that runs a learner's
 * code (src/exercises/sandbox-frame.js). The page frames it with
 * `sandbox="allow-scripts"`, and its own policy sandboxes it again, so even
 * opened on its own it has an opaque origin: no cookies, no storage, no
 * access to the page. Its policy allows exactly its inline script (by hash),
 * workers made from blobs (the learner's code), and connections to this
 * server only; only this site may frame it. docs/security.md, "The exercise sandbox".
 */
export function exerciseSandboxRoute(): RouteHandler {
  const script = readFileSync(FRAME_SCRIPT_FILE, 'utf8');
  const scriptHash = createHash('sha256').update(script).digest('base64');
  const body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Exercise sandbox</title><script>${script}</script></html>`;
  return ({ request, response }) => {
    response.setHeader('Content-Security-Policy', sandboxPolicy(request, scriptHash));
    response.setHeader('Content-Type', 'text/html; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.writeHead(200).end(body);
  };
}

function sandboxPolicy(request: IncomingMessage, scriptHash: string): string {
  const host = request.headers.host;
  // CSP3 §6.7.2.8 matches 'self' against the document's origin, opaque here: name this server instead.
  const server =
    host !== undefined && PLAIN_HOST.test(host)
      ? cameOverHttps(request)
        ? `https://${host} wss://${host}`
        : `http://${host} ws://${host}`
      : "'self'";
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}' blob:`,
    'worker-src blob:',
    `connect-src ${server}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
    'sandbox allow-scripts',
  ].join('; ');
}
