import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { publishEvent } from './helpers/channel-api.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { waitUntil } from '../harness/wait-until.ts';

/**
 * The bytes on the wire of an SSE stream, read from a plain TCP socket: events
 * are framed once for every stream and written to each socket as they are,
 * so the chunked framing must be exactly what `response.write()` would make,
 * and a client that cannot take chunks must get the bare text.
 */
/** `text` as one chunk of a chunked body (RFC 9112 §7.1), as the socket reads it in latin1. */
function chunk(text: string): string {
  const bytes = Buffer.from(text);
  return `${bytes.length.toString(16)}\r\n${bytes.toString('latin1')}\r\n`;
}

describe('Server-Sent Events on the wire', () => {
  let server: RunningServer;
  let received = '';

  before(async () => {
    server = await startServer({ sse: { retryMs: 20 } });
  });
  after(() => server.stop());

  /** Sends `GET path` in `version` and collects the raw answer in `received`. */
  const open = async (channel: string, version: 'HTTP/1.1' | 'HTTP/1.0') => {
    received = '';
    const { hostname, port } = new URL(server.baseUrl);
    const socket = connect(Number(port), hostname);
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (received += text));
    socket.write(`GET ${apiRoutes.sse.path({ channel })} ${version}\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
    await waitUntil(() => server.app.openStreams(channel) === 1, 'the stream is open on the server');
    return socket;
  };

  it('frames each event as one HTTP/1.1 chunk of its UTF-8 bytes', async () => {
    const socket = await open('wire-chunked', 'HTTP/1.1');
    try {
      await publishEvent(server.baseUrl, 'wire-chunked', 'line', 'héllo');
      const framed = chunk('id: 1\nevent: line\ndata: héllo\n\n');
      await waitUntil(
        () => received.includes(framed),
        () => `the framed event in ${JSON.stringify(received)}`,
      );
      assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(received, /\r\nTransfer-Encoding: chunked\r\n/i);
      assert.ok(received.endsWith(`\r\n\r\n${chunk('retry: 20\n\n')}${chunk('id: 0\n\n')}${framed}`), JSON.stringify(received));
    } finally {
      socket.destroy();
    }
  });

  it('sends the bare text to an HTTP/1.0 client, which cannot read chunks', async () => {
    const socket = await open('wire-plain', 'HTTP/1.0');
    try {
      await publishEvent(server.baseUrl, 'wire-plain', 'line', 'plain');
      await waitUntil(
        () => received.includes('data: plain\n\n'),
        () => `the event in ${JSON.stringify(received)}`,
      );
      assert.doesNotMatch(received, /Transfer-Encoding/i);
      assert.ok(received.endsWith('\r\n\r\nretry: 20\n\nid: 0\n\nid: 1\nevent: line\ndata: plain\n\n'), JSON.stringify(received));
    } finally {
      socket.destroy();
    }
  });
});
