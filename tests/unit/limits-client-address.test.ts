import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { addressKey, clientAddress, parseTrustProxy, TRUST_NO_PROXY } from '../../server/limits/client-address.ts';

/** A request from `peer` with these `X-Forwarded-For` lines. */
function from(peer: string, ...forwardedFor: string[]): IncomingMessage {
  const headers = forwardedFor.length === 0 ? {} : { 'x-forwarded-for': forwardedFor.join(', ') };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('TRUST_PROXY', () => {
  it('reads addresses, CIDRs and loopback, and reports what it cannot read', () => {
    const { proxies, invalid } = parseTrustProxy(' loopback, 10.1.0.0/16 ,fd00::/8, 192.0.2.7, nope, 10.0.0.0/33, 1.2.3.4/8/9');
    assert.deepEqual(invalid, ['nope', '10.0.0.0/33', '1.2.3.4/8/9']);
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '10.1.200.3', 'fd12::1', '192.0.2.7'])
      assert.equal(proxies.trusts(address), true, address);
    for (const address of ['10.2.0.1', '192.0.2.8', '2001:db8::1', '', 'garbage']) assert.equal(proxies.trusts(address), false, address);
  });

  it('trusts nobody when unset or empty', () => {
    assert.equal(parseTrustProxy('').proxies, TRUST_NO_PROXY);
    assert.equal(parseTrustProxy(' , ').proxies.trusts('127.0.0.1'), false);
  });
});

describe('clientAddress', () => {
  const { proxies } = parseTrustProxy('loopback, 10.0.0.0/8');

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    assert.equal(clientAddress(from('203.0.113.9', '198.51.100.1'), proxies), '203.0.113.9');
    assert.equal(clientAddress(from('127.0.0.1', '198.51.100.1'), TRUST_NO_PROXY), '127.0.0.1');
  });

  it('takes the rightmost hop that is not a trusted proxy: what the client made up stays on the left', () => {
    assert.equal(clientAddress(from('127.0.0.1', '6.6.6.6, 198.51.100.1, 10.0.0.2'), proxies), '198.51.100.1');
    assert.equal(clientAddress(from('::ffff:127.0.0.1', '6.6.6.6', '198.51.100.1'), proxies), '198.51.100.1', 'two header lines');
    assert.equal(clientAddress(from('127.0.0.1', '10.0.0.3, 10.0.0.2'), proxies), '10.0.0.3', 'all trusted: the leftmost');
    assert.equal(clientAddress(from('127.0.0.1'), proxies), '127.0.0.1', 'no header: the proxy itself');
  });

  it('stops at an entry that is not an address, at the proxy that passed it on', () => {
    assert.equal(clientAddress(from('127.0.0.1', '198.51.100.1, unknown, 10.0.0.2'), proxies), '10.0.0.2');
  });
});

describe('addressKey', () => {
  it('keeps IPv4 addresses, and groups IPv6 by /64', () => {
    assert.equal(addressKey('198.51.100.1'), '198.51.100.1');
    assert.equal(addressKey('::ffff:198.51.100.1'), '198.51.100.1');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0DB8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.notEqual(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
  });
});
