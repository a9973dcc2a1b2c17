import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, readConfig } from '../../../server/config.ts';

describe('the WebSocket settings of the configuration', () => {
  it('defaults to a 15 s heartbeat and no extra origins', () => {
    const config = readConfig({});
    assert.equal(config.wsHeartbeatMs, 15_000);
    assert.deepEqual(config.allowedOrigins, []);
  });

  it('reads WS_HEARTBEAT_MS and a normalised ALLOWED_ORIGINS list', () => {
    const config = readConfig({
      WS_HEARTBEAT_MS: '5000',
      ALLOWED_ORIGINS: 'https://Dev.Example, http://localhost:3000/',
    });
    assert.equal(config.wsHeartbeatMs, 5000);
    assert.deepEqual(config.allowedOrigins, ['https://dev.example', 'http://localhost:3000']);
  });

  it('reads the chat presence TTL (PRESENCE_TTL_MS), 30 s by default, and refuses one under 300 ms', () => {
    assert.equal(readConfig({}).presenceTtlMs, 30_000);
    assert.equal(readConfig({ PRESENCE_TTL_MS: '1500' }).presenceTtlMs, 1_500);
    assert.throws(() => readConfig({ PRESENCE_TTL_MS: '100' }), /PRESENCE_TTL_MS="100"/);
  });

  it('refuses an origin with a path and a heartbeat out of range, naming both', () => {
    assert.throws(
      () => readConfig({ WS_HEARTBEAT_MS: '5', ALLOWED_ORIGINS: 'https://ok.example, https://a.example/app' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /WS_HEARTBEAT_MS="5"/);
        assert.match(error.message, /ALLOWED_ORIGINS has "https:\/\/a\.example\/app"/);
        return true;
      },
    );
  });
});
