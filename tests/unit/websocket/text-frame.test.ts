import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { textFrame } from '../../../server/websocket/text-frame.ts';

describe('textFrame', () => {
  // Each test's frame, written by the server straight to the upgraded socket, as the fan-out does.
  let nextFrame: Buffer;
  let server: Server;
  let url: string;

  before(async () => {
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    server = createServer();
    server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, () => socket.write(nextFrame)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    url = `ws://127.0.0.1:${address.port}/`;
  });
  after(() => server.close());

  /** What a client (`ws`'s, which checks every header bit) receives when the server writes `frame`. */
  function receive(frame: Buffer): Promise<{ text: string; isBinary: boolean }> {
    nextFrame = frame;
    return new Promise((resolve, reject) => {
      const client = new WebSocket(url);
      client.once('message', (data: Buffer, isBinary: boolean) => {
        resolve({ text: data.toString('utf8'), isBinary });
        client.terminate();
      });
      client.once('error', reject);
    });
  }

  // 125, 126 and 65 536 are where the length moves to 16, then 64 bits (RFC 6455 §5.2).
  for (const length of [0, 1, 125, 126, 65_535, 65_536]) {
    it(`frames a ${length}-byte message that a client receives as text`, async () => {
      const text = 'x'.repeat(length);
      assert.deepEqual(await receive(textFrame(Buffer.from(text))), { text, isBinary: false });
    });
  }

  it('writes the header a server sends: FIN, opcode 1, no mask, then the length', () => {
    assert.deepEqual([...textFrame(Buffer.from('hi'))], [0x81, 2, 0x68, 0x69]);
    assert.deepEqual([...textFrame(Buffer.alloc(300)).subarray(0, 4)], [0x81, 126, 0x01, 0x2c]);
  });

  it('counts bytes, not characters', async () => {
    const text = 'héllo ✓';
    const frame = textFrame(Buffer.from(text));
    assert.equal(frame[1], Buffer.byteLength(text));
    assert.deepEqual(await receive(frame), { text, isBinary: false });
  });
});
