import { connect, type Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { WS_PATH, type ServerMessage } from '../../../src/protocol/websocket.ts';

/** How long a test waits for something that should happen at once; a hang fails fast instead of stalling the suite. */
export const WAIT_MS = 5_000;

type MessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** How a socket closed, as the client saw it. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Rejects after `ms` with a message saying what was awaited. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` on each turn of the event loop until it holds (bounded by {@link WAIT_MS}). */
export async function until(condition: () => boolean, what: string): Promise<void> {
  await withTimeout(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
    })(),
    what,
  );
}

/**
 * A `ws` client for tests: every message is parsed and queued, so a test
 * reads them in order with {@link next} or skips to one with {@link waitFor}.
 */
export class TestSocket {
  readonly ws: WebSocket;
  /** Every message received so far, in order. */
  readonly received: ServerMessage[] = [];
  /** Resolves when the socket has closed. */
  readonly closed: Promise<CloseInfo>;
  /** Headers of the server's `101 Switching Protocols`. */
  upgradeHeaders: Record<string, string | string[] | undefined> = {};
  /** Pings received from the server. */
  pings = 0;
  #read = 0;
  #wake: (() => void) | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        this.#wake?.();
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('The server sent a binary frame');
      this.received.push(JSON.parse(data.toString()) as ServerMessage);
      this.#wake?.();
    });
    ws.once('upgrade', (response) => (this.upgradeHeaders = response.headers));
    ws.on('ping', () => (this.pings += 1));
    // Errors (e.g. the server cutting the connection) show up as a close.
    ws.on('error', () => {});
  }

  /** Opens a socket to `baseUrl` + `/ws` and waits until it is open (`hello` is then on its way). */
  static async open(baseUrl: string, options: ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${WS_PATH}`, options);
    const socket = new TestSocket(ws);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_request, response) => reject(new Error(`The upgrade was refused with ${response.statusCode}`)));
        ws.once('error', reject);
      }),
      'the socket to open',
    );
    return socket;
  }

  /** Opens a socket and reads its `hello`. */
  static async connect(baseUrl: string, options: ClientOptions = {}): Promise<TestSocket> {
    const socket = await TestSocket.open(baseUrl, options);
    await socket.next('hello');
    return socket;
  }

  /** Sends a message: an object as JSON, a string or Buffer as is (text or binary frame). */
  send(message: unknown, options: { binary?: boolean } = {}): void {
    const data = typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message);
    this.ws.send(data, { binary: options.binary ?? false });
  }

  /** The next message, which must be of `type` when one is given. */
  async next<T extends ServerMessage['type']>(type?: T): Promise<MessageOf<T>> {
    const message = await withTimeout(this.#take(), `a ${type ?? ''} message`);
    if (type !== undefined && message.type !== type) {
      throw new Error(`Expected a "${type}" message, got ${JSON.stringify(message)}`);
    }
    return message as MessageOf<T>;
  }

  /** Skips messages until one of `type` (the skipped ones stay in {@link received}). */
  async waitFor<T extends ServerMessage['type']>(type: T): Promise<MessageOf<T>> {
    return withTimeout(
      (async () => {
        for (;;) {
          const message = await this.#take();
          if (message.type === type) return message as MessageOf<T>;
        }
      })(),
      `a "${type}" message`,
    );
  }

  /** Messages received but not read yet. */
  get unread(): ServerMessage[] {
    return this.received.slice(this.#read);
  }

  /** Waits for the close, bounded. */
  waitForClose(): Promise<CloseInfo> {
    return withTimeout(this.closed, 'the socket to close');
  }

  /** Closes normally and waits until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await this.waitForClose();
  }

  async #take(): Promise<ServerMessage> {
    while (this.#read >= this.received.length) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`The socket closed; read ${this.#read} messages`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return this.received[this.#read++]!;
  }
}

/** A raw HTTP exchange on a TCP socket: what a browser's handshake looks like on the wire. */
export interface RawUpgrade {
  socket: Socket;
  /** The response head and whatever followed it so far. */
  response: string;
  statusCode: number;
  /** Bytes received after the response head (frames, once upgraded). */
  rest: Buffer;
}

/**
 * Sends a hand-written upgrade request and reads the response head. Use it
 * where `ws` would not let a test misbehave: a foreign Origin on another
 * path, an invalid frame. The caller destroys `socket`.
 */
export async function rawUpgrade(baseUrl: string, path: string, headers: Record<string, string>): Promise<RawUpgrade> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let received = Buffer.alloc(0);
  return withTimeout(
    new Promise<RawUpgrade>((resolve) => {
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = received.subarray(0, end).toString('latin1');
        const statusCode = Number(head.split(' ')[1]);
        const contentLength = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        // For a refusal, wait for the whole body.
        if (statusCode !== 101 && received.length < end + 4 + contentLength) return;
        socket.off('data', onData);
        resolve({ socket, response: received.toString('utf8'), statusCode, rest: received.subarray(end + 4) });
      };
      socket.on('data', onData);
    }),
    `the answer to an upgrade of ${path}`,
  );
}

/**
 * Frames `payload` as a client must (RFC 6455 §5.2: FIN, opcode, MASK bit,
 * masking key), without any validation of the payload.
 */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new RangeError('Short frames only');
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

/**
 * The payload of the first close frame (opcode 0x8) in `frames`, bytes read
 * from the server (unmasked, RFC 6455 §5.2), once it has fully arrived.
 */
export function closeFramePayload(frames: Buffer): Buffer | undefined {
  for (let offset = 0; offset + 2 <= frames.length; ) {
    const opcode = frames[offset]! & 0x0f;
    let length = frames[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = frames.readUInt16BE(offset + 2);
      start += 2;
    }
    if (start + length > frames.length) return undefined;
    if (opcode === 0x8) return frames.subarray(start, start + length);
    offset = start + length;
  }
  return undefined;
}
