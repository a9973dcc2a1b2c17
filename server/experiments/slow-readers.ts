import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { WS_PATH, type ClientMessage, type ServerMessage } from '../../src/protocol/websocket.ts';
import { WireParser, resumeIdOf } from '../../src/protocol/sse-wire-parser.ts';
import type { LoopbackTarget } from './loopback-target.ts';
import { INTERNAL_HEADER_LINE, internalHeaders } from '../limits/internal-requests.ts';

/** How a slow reader's connection ended, as the reader saw it once it had read everything before the end. */
export interface SlowReaderEnd {
  /** The server ended cleanly, or cut the connection. */
  how: 'ended' | 'cut';
  /** The WebSocket close code, when a close frame arrived. */
  closeCode?: number;
}

/** What the first thing read after (re)connecting with a cursor said. */
export type ResumeOutcome = { outcome: 'replay' } | { outcome: 'reset'; latestId: number };

/** A consumer that reads a channel at a set number of bytes per second. */
export interface SlowReader {
  /** Bytes its code has read (framing included). */
  readonly readBytes: number;
  /** The last event id it has read. */
  readonly lastId: number;
  /** Events read. */
  readonly events: number;
  /** Settles when the connection is over and everything before the end has been read. */
  readonly ended: Promise<SlowReaderEnd>;
  /** Settles with the first sign of how the server answered the cursor (a resume comment or event, or a reset). */
  readonly resumed: Promise<ResumeOutcome>;
  /** Reads whatever is waiting at full speed from now on. */
  fullSpeed(): void;
  stop(): void;
}

export interface SlowReaderOptions {
  target: LoopbackTarget;
  channel: string;
  /** Reading speed; 0 stalls the reader. */
  bytesPerSecond: number;
  /** Resume after this id (the reader's cursor). */
  cursor: number;
}

/** How often a paced reader takes its share of bytes. */
const TICK_MS = 50;

/**
 * Reads a paused stream at `bytesPerSecond`: every tick it takes its share
 * of what has arrived, no more. Node then stops reading from the kernel once
 * its small buffer is full, the kernel's receive buffer fills, TCP's window
 * closes, and the *server* sees a socket that will not take more — exactly
 * what a phone on a weak link does to a server.
 */
class Pacer {
  readonly #stream: Readable;
  readonly #onChunk: (chunk: Buffer) => void;
  #bytesPerSecond: number;
  #budget = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: Readable, bytesPerSecond: number, onChunk: (chunk: Buffer) => void) {
    this.#stream = stream;
    this.#bytesPerSecond = bytesPerSecond;
    this.#onChunk = onChunk;
    stream.pause();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  #tick(): void {
    // Unused budget does not pile up beyond a tick's worth: a reader that was idle does not then gulp.
    this.#budget = Math.min(this.#budget + (this.#bytesPerSecond * TICK_MS) / 1000, (this.#bytesPerSecond * TICK_MS) / 1000 + 1);
    while (this.#budget >= 1 && this.#stream.readableLength > 0) {
      const chunk = this.#stream.read(Math.min(Math.floor(this.#budget), this.#stream.readableLength)) as Buffer | null;
      if (!chunk) break;
      this.#budget -= chunk.length;
      this.#onChunk(chunk);
    }
  }

  fullSpeed(): void {
    this.stop();
    this.#stream.on('data', (chunk: Buffer) => this.#onChunk(chunk));
    this.#stream.resume();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Promise plus its resolver. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** What both readers share: the counters, the two outcomes, and the pace of reading. */
abstract class PacedReader implements SlowReader {
  readBytes = 0;
  lastId: number;
  events = 0;
  protected readonly endedWith = deferred<SlowReaderEnd>();
  protected readonly resumedWith = deferred<ResumeOutcome>();
  #pacer: Pacer | undefined;
  #fast = false;

  constructor(cursor: number) {
    this.lastId = cursor;
    void this.endedWith.promise.then(() => this.#pacer?.stop());
  }

  get ended(): Promise<SlowReaderEnd> {
    return this.endedWith.promise;
  }

  get resumed(): Promise<ResumeOutcome> {
    return this.resumedWith.promise;
  }

  fullSpeed(): void {
    this.#fast = true;
    this.#pacer?.fullSpeed();
  }

  abstract stop(): void;

  /** Reads `stream` at `bytesPerSecond` from now on (at full speed if that was asked for before). */
  protected pace(stream: Readable, bytesPerSecond: number, onChunk: (chunk: Buffer) => void): void {
    this.#pacer = new Pacer(stream, bytesPerSecond, onChunk);
    if (this.#fast) this.#pacer.fullSpeed();
  }

  protected stopPacing(): void {
    this.#pacer?.stop();
  }
}

/** A slow EventSource-like reader of `GET /api/sse/{channel}`, resuming with `Last-Event-ID`. */
export class SlowSseReader extends PacedReader {
  readonly #request: ClientRequest;

  constructor({ target, channel, bytesPerSecond, cursor }: SlowReaderOptions) {
    super(cursor);
    const parser = new WireParser(String(cursor));
    const decoder = new TextDecoder();
    this.#request = httpRequest({
      host: target.host,
      port: target.port,
      path: apiRoutes.sse.path({ channel }),
      headers: internalHeaders({ Accept: 'text/event-stream', 'Last-Event-ID': String(cursor) }),
      agent: false,
    });
    this.#request.on('error', () => this.endedWith.resolve({ how: 'cut' }));
    this.#request.on('response', (response: IncomingMessage) => {
      this.pace(response, bytesPerSecond, (chunk) => {
        this.readBytes += chunk.length;
        const { lines, events } = parser.push(decoder.decode(chunk, { stream: true }));
        for (const line of lines) {
          if (resumeIdOf(line) !== null) this.resumedWith.resolve({ outcome: 'replay' });
        }
        for (const event of events) {
          this.events += 1;
          if (event.type === 'reset') {
            this.resumedWith.resolve({ outcome: 'reset', latestId: Number(event.lastEventId) });
          }
        }
        const id = Number(parser.lastEventId);
        if (Number.isSafeInteger(id)) this.lastId = id;
      });
      response.once('end', () => this.endedWith.resolve({ how: 'ended' }));
      // Cut before the last chunk: `aborted` (then an error) once the reader got to the end of what arrived.
      response.once('error', () => this.endedWith.resolve({ how: 'cut' }));
      response.once('close', () => this.endedWith.resolve({ how: response.complete ? 'ended' : 'cut' }));
    });
    this.#request.end();
  }

  stop(): void {
    this.stopPacing();
    this.#request.destroy();
    this.endedWith.resolve({ how: 'cut' });
  }
}

/**
 * A slow WebSocket reader of `/ws`, subscribed to a channel. Written by hand
 * on a TCP socket (RFC 6455 §4.1 handshake, §5.2 framing) because a library
 * client reads its socket as fast as it can: this one takes `bytesPerSecond`.
 */
export class SlowWsReader extends PacedReader {
  readonly #socket: Socket;
  #pending: Buffer = Buffer.alloc(0);
  #closeCode: number | undefined;

  constructor({ target, channel, bytesPerSecond, cursor }: SlowReaderOptions) {
    super(cursor);
    const socket = connect({ host: target.host, port: target.port });
    this.#socket = socket;
    socket.on('error', () => {});
    socket.once('close', () =>
      this.endedWith.resolve(this.#closeCode === undefined ? { how: 'cut' } : { how: 'ended', closeCode: this.#closeCode }),
    );
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${WS_PATH} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${INTERNAL_HEADER_LINE}\r\n`,
    );
    // The handshake is read at full speed; only the frames after it are paced.
    let head = Buffer.alloc(0);
    const onHandshake = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onHandshake);
      if (!head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) {
        socket.destroy();
        return;
      }
      this.#pending = head.subarray(end + 4);
      this.readBytes += this.#pending.length;
      this.#sendFrame({ type: 'subscribe', channel, cursor });
      this.pace(socket, bytesPerSecond, (frameBytes) => {
        this.readBytes += frameBytes.length;
        this.#pending = Buffer.concat([this.#pending, frameBytes]);
        this.#readFrames();
      });
      this.#readFrames();
    };
    socket.on('data', onHandshake);
  }

  stop(): void {
    this.stopPacing();
    this.#socket.destroy();
  }

  /** Takes every complete frame from the bytes read so far (server frames are never masked, RFC 6455 §5.1). */
  #readFrames(): void {
    for (;;) {
      const buffer = this.#pending;
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      this.#pending = buffer.subarray(offset + length);
      if (opcode === 0x1) this.#onMessage(JSON.parse(payload.toString('utf8')) as ServerMessage);
      else if (opcode === 0x8) {
        this.#closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.#socket.end();
        return;
      } else if (opcode === 0x9) this.#sendRaw(0xa, payload); // a ping read late is answered late
    }
  }

  #onMessage(message: ServerMessage): void {
    if (message.type === 'event') {
      this.events += 1;
      this.lastId = message.event.id;
      this.resumedWith.resolve({ outcome: 'replay' });
    } else if (message.type === 'reset') {
      this.lastId = message.latestId;
      this.resumedWith.resolve({ outcome: 'reset', latestId: message.latestId });
    }
  }

  #sendFrame(message: ClientMessage): void {
    this.#sendRaw(0x1, Buffer.from(JSON.stringify(message), 'utf8'));
  }

  /** A client frame: FIN, the opcode, a masked payload (RFC 6455 §5.3: clients must mask). */
  #sendRaw(opcode: number, payload: Buffer): void {
    if (this.#socket.destroyed) return;
    const mask = randomBytes(4);
    const header =
      payload.length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
    this.#socket.write(Buffer.concat([header, mask, masked]));
  }
}
