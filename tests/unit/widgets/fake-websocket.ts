import { WS_LIMITS, type ClientMessage, type ServerMessage } from '../../../src/protocol/websocket.ts';
import type { WebSocketLike } from '../../../src/widgets/websocket/websocket-like.ts';

/**
 * A fake browser WebSocket for the WebSocket widget's tests, driven from the
 * "server" side: by the test itself, or by a {@link FakeServerSide} (such as
 * the in-memory chat server of websocket-model.test.ts) that new sockets
 * attach to.
 */

/** What answers fake sockets: told of each one, of what it sends, and when it goes. */
export interface FakeServerSide {
  attach(ws: FakeWebSocket): void;
  receive(ws: FakeWebSocket, data: string): void;
  detach(ws: FakeWebSocket): void;
}

export class FakeWebSocket implements WebSocketLike {
  /** Every socket created, oldest first. */
  static instances: FakeWebSocket[] = [];
  /** When set, new sockets attach to it (it opens them and answers them). */
  static server: FakeServerSide | null = null;

  readonly url: string;
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  /** Raw frames this client sent. */
  readonly sent: string[] = [];
  /** How the client closed it, if it did. */
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.instances.push(this);
    FakeWebSocket.server?.attach(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
    FakeWebSocket.server = null;
  }

  static get last(): FakeWebSocket {
    return FakeWebSocket.instances.at(-1)!;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
    FakeWebSocket.server?.receive(this, data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    if (this.readyState === 3) return;
    this.readyState = 2;
    // The closing handshake completes later; a client that detached its handlers never hears of it.
    setTimeout(() => {
      this.readyState = 3;
      FakeWebSocket.server?.detach(this);
      this.onclose?.({ code: code ?? 1005, reason: reason ?? '', wasClean: true });
    }, 1);
  }

  /** The messages this client sent, parsed. */
  messages(): ClientMessage[] {
    return this.sent.map((text) => JSON.parse(text) as ClientMessage);
  }

  // ── the server's side ──

  /** Opening handshake done, and the server's hello. */
  accept(connectionId = 'c1'): void {
    this.serverOpen();
    this.serverSend(fakeHello(connectionId));
  }

  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  serverSend(message: ServerMessage | Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** A close frame from the server (clean), or a dead connection (`wasClean: false`, 1006). */
  serverClose(code: number, reason = '', wasClean = true): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    FakeWebSocket.server?.detach(this);
    this.onclose?.({ code, reason, wasClean });
  }

  /** The connection dies: no close frame, the browser reports 1006. */
  drop(): void {
    this.serverClose(1006, '', false);
  }
}

export const fakeHello = (connectionId = 'c1'): ServerMessage => ({
  type: 'hello',
  connectionId,
  heartbeatMs: 30_000,
  limits: WS_LIMITS,
  handshake: {
    request: { host: 'localhost', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    response: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' },
  },
});
