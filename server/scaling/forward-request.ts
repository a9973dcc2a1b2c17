import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1),
 * so a proxy never passes them on; plus what the demo's instances have no
 * business seeing (the reader's cookies and credentials for this server).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'cookie',
  'authorization',
]);

/** How a forwarded exchange ended. */
export type ForwardEnd =
  /** The instance finished its response. */
  | 'ended'
  /** The page went away (or reconnected) first. */
  | 'client-closed'
  /** The instance's connection broke mid-response (it was killed). */
  | 'instance-died';

/** What {@link forwardRequest} does with one request. */
export interface ForwardOptions {
  /** The instance's port on 127.0.0.1. */
  port: number;
  /** Path and query on the instance. */
  path: string;
  /**
   * The instance must send its response head within this (a stream sends it
   * at once); else the exchange is cut and, if nothing was sent yet, the
   * caller answers. Undefined: no limit.
   */
  headTimeoutMs?: number;
  /** Sees each chunk of the response body as it passes (an SSE tap). */
  onBody?: (chunk: Buffer) => void;
  /** Called once with the response's status, before its body. */
  onResponse?: (status: number) => void;
  /** Called once when the exchange is over, however it ended. */
  onEnd?: (end: ForwardEnd) => void;
}

/** What happened before any byte of a response was sent back, when nothing was. */
export type ForwardFailure = 'refused' | 'timeout';

/**
 * A small streaming reverse proxy, like the `proxy_pass` of
 * deploy/nginx.conf with `proxy_buffering off`: the request (body included)
 * goes to the instance over a new HTTP/1.1 connection, and each chunk of the
 * answer goes back as soon as it arrives, so Server-Sent Events pass through
 * unbuffered. Backpressure holds: a slow page slows the reading from the
 * instance (`pipe`). When either side goes away, the other is closed: a page
 * that leaves closes the instance's stream, and an instance killed mid-stream
 * cuts the page's response, as a dropped connection would, so EventSource
 * reconnects.
 *
 * @returns `forwarded` once a response head came back (the rest streams on),
 *   or why nothing came: the caller may then try another instance or answer.
 */
export function forwardRequest(
  request: IncomingMessage,
  response: ServerResponse,
  options: ForwardOptions,
): Promise<'forwarded' | ForwardFailure> {
  return new Promise((resolve) => {
    let settled = false;
    let ended = false;
    const end = (how: ForwardEnd) => {
      if (ended) return;
      ended = true;
      options.onEnd?.(how);
    };
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: options.port,
      method: request.method,
      path: options.path,
      headers: forwardedHeaders(request, options.port),
      agent: false,
    });
    let headTimer: NodeJS.Timeout | undefined;
    if (options.headTimeoutMs !== undefined) {
      headTimer = setTimeout(() => {
        if (settled) return;
        settled = true;
        upstream.destroy();
        resolve('timeout');
      }, options.headTimeoutMs);
    }
    upstream.on('error', () => {
      clearTimeout(headTimer);
      if (!settled) {
        settled = true;
        resolve('refused');
        return;
      }
      // The instance went away mid-response: cut the page's response too, so the client sees it is incomplete.
      end('instance-died');
      response.destroy();
    });
    upstream.once('response', (answer) => {
      clearTimeout(headTimer);
      if (settled) {
        answer.destroy();
        return;
      }
      settled = true;
      options.onResponse?.(answer.statusCode ?? 502);
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, passedHeaders(answer.headers));
      // The head now, before the first event, so the page's `open` fires at once.
      response.flushHeaders();
      if (options.onBody) answer.on('data', options.onBody);
      answer.pipe(response);
      answer.once('end', () => end('ended'));
      answer.on('error', () => {}); // a connection reset mid-body: 'close' below acts on it
      answer.once('close', () => {
        if (answer.complete) return;
        end('instance-died');
        response.destroy();
      });
      resolve('forwarded');
    });
    response.once('close', () => {
      // The page left (or the response finished): nothing more to fetch from the instance.
      if (!response.writableFinished) end('client-closed');
      upstream.destroy();
    });
    request.on('error', () => upstream.destroy());
    // A request already read (a GET retried on another instance) has nothing more to send.
    if (request.readableEnded) upstream.end();
    else request.pipe(upstream);
  });
}

function forwardedHeaders(request: IncomingMessage, port: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers.host = `127.0.0.1:${port}`;
  const forwardedFor = request.headers['x-forwarded-for'];
  const client = request.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client;
  return headers;
}

function passedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const passed: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) passed[name] = value;
  }
  return passed;
}
