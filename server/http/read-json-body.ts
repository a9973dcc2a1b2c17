import type { IncomingMessage } from 'node:http';
import { EVENT_LIMITS } from '../../src/protocol/events.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from './problem.ts';

/** How {@link readJsonBody} treats a request. */
export interface ReadJsonBodyOptions {
  /** Largest body accepted, in bytes; default `EVENT_LIMITS.maxBodyBytes`. */
  maxBytes?: number;
  /** Whether an empty body is fine (the route has defaults for everything); then the result is `undefined`. */
  allowEmpty?: boolean;
}

/** Of a body refused as too large, the most the server reads (and discards) to keep the connection usable. */
const MAX_DRAIN_BYTES = 1024 * 1024;

/**
 * Reads and parses a JSON request body, refusing what the server should not
 * spend memory on.
 *
 * @returns the parsed value, or `undefined` for an empty body when `allowEmpty`.
 * @throws {HttpProblem} 415 for a non-JSON `Content-Type` or a charset other than UTF-8, 413 past `maxBytes`,
 *   400 for an empty body (unless allowed), invalid UTF-8 or invalid JSON.
 */
export async function readJsonBody(request: IncomingMessage, options: ReadJsonBodyOptions = {}): Promise<unknown> {
  const maxBytes = options.maxBytes ?? EVENT_LIMITS.maxBodyBytes;
  const declaredLength = request.headers['content-length'];
  const hasBody = (declaredLength !== undefined && declaredLength !== '0') || request.headers['transfer-encoding'] !== undefined;

  if (!hasBody) {
    if (options.allowEmpty) return undefined;
    throw new HttpProblem({
      status: 400,
      type: PROBLEM_TYPES.invalidBody,
      detail: 'This endpoint needs a JSON body (Content-Type: application/json).',
    });
  }

  const [type = '', ...parameters] = (request.headers['content-type'] ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpProblem({
      status: 415,
      detail: `Send the body as JSON with "Content-Type: application/json"${mediaType ? `, not "${mediaType}"` : ''}.`,
      // Accept-Post (W3C LDP §7.1, registered in the IANA header registry) names what POST accepts.
      headers: { 'Accept-Post': 'application/json' },
    });
  }
  const charset = declaredCharset(parameters);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    // Decoding UTF-16 as UTF-8 would read another text than the one sent: refuse rather than guess.
    throw new HttpProblem({
      status: 415,
      detail: `JSON is read as UTF-8 only (RFC 8259 §8.1); the body declares charset=${charset.slice(0, 40)}.`,
      headers: { 'Accept-Post': 'application/json' },
    });
  }

  // Content-Length is a promise from the client: refuse early when it is already too big.
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) {
    throw tooLarge(request, maxBytes, Number(declaredLength));
  }

  const bytes = await readAtMost(request, maxBytes);
  if (bytes === undefined) throw tooLarge(request, maxBytes);
  if (bytes.length === 0) {
    if (options.allowEmpty) return undefined;
    throw new HttpProblem({
      status: 400,
      type: PROBLEM_TYPES.invalidBody,
      detail: 'The request body is empty; send a JSON value.',
    });
  }

  let text: string;
  try {
    // `fatal` refuses malformed UTF-8 instead of silently replacing it with U+FFFD (RFC 8259 §8.1: JSON is UTF-8).
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpProblem({
      status: 400,
      type: PROBLEM_TYPES.invalidJson,
      detail: 'The request body is not valid UTF-8.',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'unreadable';
    throw new HttpProblem({
      status: 400,
      type: PROBLEM_TYPES.invalidJson,
      detail: `The request body is not valid JSON: ${reason}.`,
    });
  }
}

/** The `charset` parameter of a media type (RFC 9110 §8.3.1), lower-cased and unquoted; `undefined` without one. */
function declaredCharset(parameters: string[]): string | undefined {
  for (const parameter of parameters) {
    const [name = '', ...value] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    return value
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/** Collects the body, or resolves `undefined` as soon as it passes `maxBytes`. */
function readAtMost(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanUp();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanUp();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    const cleanUp = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

function tooLarge(request: IncomingMessage, maxBytes: number, declared?: number): HttpProblem {
  const close = !drainQuietly(request, declared);
  return new HttpProblem({
    status: 413,
    detail: `The request body is larger than the limit of ${maxBytes} bytes.`,
    extensions: { maxBytes },
    // Closing while the client still sends can reset the connection before it reads the 413, so only for huge bodies.
    headers: close ? { Connection: 'close' } : {},
  });
}

/**
 * Reads and discards the rest of a refused body, so the client can finish
 * sending and read the answer on a connection that stays usable. Past
 * {@link MAX_DRAIN_BYTES} the body is not worth the bandwidth: returns false
 * (declared that big) or cuts the connection (discovered while draining).
 */
function drainQuietly(request: IncomingMessage, declared: number | undefined): boolean {
  if (declared !== undefined && declared > MAX_DRAIN_BYTES) return false;
  let drained = 0;
  request.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) request.socket.destroy();
  });
  request.resume();
  return true;
}
