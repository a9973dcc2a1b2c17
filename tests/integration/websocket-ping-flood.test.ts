import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WS_CLOSE, WS_LIMITS, WS_PATH } from '../../src/protocol/websocket.ts';
import { startServer, type RunningServer } from '../harness/start-server.ts';
import { clientFrame, closeFramePayload, rawUpgrade, withTimeout } from './helpers/websocket-client.ts';

/** Close codes of the floods, or `dropped` when the socket ended without a close frame. */
type Outcome = number | 'dropped';

/** The code of the first close frame in `frames`, if one has fully arrived. */
function closeCode(frames: Buffer): number | undefined {
  return closeFramePayload(frames)?.readUInt16BE(0);
}

/**
 * Floods a raw socket with pings written in one go, as a script would (a
 * browser cannot even send pings), and reads the answers: does a close frame
 * come, or does the connection end without one?
 */
async function pingFlood(baseUrl: string, pings: number): Promise<Outcome> {
  const raw = await rawUpgrade(baseUrl, WS_PATH, {});
  assert.equal(raw.statusCode, 101);
  try {
    let frames = raw.rest;
    const outcome = new Promise<Outcome>((resolve) => {
      raw.socket.on('data', (chunk: Buffer) => {
        frames = Buffer.concat([frames, chunk]);
        const code = closeCode(frames);
        if (code !== undefined) resolve(code);
      });
      raw.socket.once('close', () => resolve(closeCode(frames) ?? 'dropped'));
    });
    const ping = clientFrame(0x9, Buffer.alloc(125, 0x70));
    raw.socket.write(Buffer.concat(Array.from({ length: pings }, () => ping)));
    return await withTimeout(outcome, 'a close frame or the end of the flooding socket');
  } finally {
    raw.socket.destroy();
  }
}

describe('a ping flood', () => {
  let server: RunningServer;
  before(async () => (server = await startServer()));
  after(() => server.stop());

  it('gets the documented 1008 close every time, never a dropped socket', async () => {
    const outcomes: Outcome[] = [];
    for (let flood = 0; flood < 20; flood += 1) outcomes.push(await pingFlood(server.baseUrl, 5_000));
    assert.deepEqual(outcomes, Array(20).fill(WS_CLOSE.policyViolation));
    assert.ok(WS_LIMITS.burst + WS_LIMITS.abuseThreshold < 5_000);
  });
});
