import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { webSocketAccept } from '../../../server/websocket/handshake.ts';

describe('webSocketAccept', () => {
  it('gives the value of the example in RFC 6455 §1.3', () => {
    assert.equal(webSocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});
