import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOriginAllowed, normalizeOrigin, parseOriginList } from '../../../server/websocket/origin-check.ts';

describe('the WebSocket Origin check', () => {
  it('allows a request without Origin: not a browser', () => {
    assert.equal(isOriginAllowed(undefined, 'localhost:4321', []), true);
  });

  it("allows the page's own origin, http or https, whatever the case or default port", () => {
    for (const origin of ['http://localhost:4321', 'https://localhost:4321', 'HTTP://LOCALHOST:4321']) {
      assert.equal(isOriginAllowed(origin, 'localhost:4321', []), true, origin);
    }
    assert.equal(isOriginAllowed('http://workbook.example', 'workbook.example:80', []), true);
    assert.equal(isOriginAllowed('https://workbook.example', 'workbook.example', []), true);
  });

  it('refuses other hosts, other ports, null and non-http origins', () => {
    for (const origin of [
      'https://evil.example',
      'http://localhost:4322',
      'http://localhost.evil.example:4321',
      'null',
      'file://',
      'chrome-extension://abcdef',
      '',
    ]) {
      assert.equal(isOriginAllowed(origin, 'localhost:4321', []), false, origin);
    }
  });

  it('refuses any Origin when the request has no Host', () => {
    assert.equal(isOriginAllowed('http://localhost:4321', undefined, []), false);
  });

  it('allows the origins of ALLOWED_ORIGINS', () => {
    const { origins } = parseOriginList('https://Dev.Example:8443, http://other.example/');
    assert.deepEqual(origins, ['https://dev.example:8443', 'http://other.example']);
    assert.equal(isOriginAllowed('https://dev.example:8443', 'localhost:4321', origins), true);
    assert.equal(isOriginAllowed('http://other.example', 'localhost:4321', origins), true);
    assert.equal(isOriginAllowed('http://dev.example:8443', 'localhost:4321', origins), false, 'the scheme counts');
  });

  it('reports list entries that are not origins', () => {
    assert.deepEqual(parseOriginList(' , https://ok.example,,ftp://x.example, https://a.example/path, *').invalid, [
      'ftp://x.example',
      'https://a.example/path',
      '*',
    ]);
    assert.equal(normalizeOrigin('https://user@a.example'), undefined);
    assert.equal(normalizeOrigin('https://a.example?x'), undefined);
  });
});
