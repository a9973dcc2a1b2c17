import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpChunk } from '../../server/http/http-chunk.ts';

describe('HttpChunk', () => {
  it('frames the bytes as one chunk: size in hex, CRLF, bytes, CRLF (RFC 9112 §7.1)', () => {
    assert.equal(new HttpChunk('hello').framed.toString('latin1'), '5\r\nhello\r\n');
    const large = 'y'.repeat(300);
    assert.equal(new HttpChunk(large).framed.toString('latin1'), `12c\r\n${large}\r\n`);
  });

  it('counts the size in bytes of UTF-8, not in characters', () => {
    const chunk = new HttpChunk('é✓');
    assert.equal(chunk.framed.toString('utf8'), '5\r\né✓\r\n');
    assert.equal(chunk.payload.toString('utf8'), 'é✓');
  });

  it('keeps the bytes alone for a response that is not chunked', () => {
    assert.deepEqual(new HttpChunk(Buffer.from('data: x\n\n')).payload, Buffer.from('data: x\n\n'));
  });

  it('refuses to be empty: a chunk of size 0 ends the body', () => {
    assert.throws(() => new HttpChunk(''), RangeError);
  });
});
