import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, isIPv4 } from 'node:net';

/** The proxies whose `X-Forwarded-For` the server believes (`TRUST_PROXY`). */
export interface TrustedProxies {
  /** True when `address` (IPv4, IPv6 or IPv4-mapped) is one of them. */
  trusts(address: string): boolean;
  /** What `TRUST_PROXY` said, for messages. */
  readonly description: string;
}

/** `TRUST_PROXY` unset: nobody's `X-Forwarded-For` counts (anyone can send one). */
export const TRUST_NO_PROXY: TrustedProxies = { trusts: () => false, description: 'none' };

/**
 * Parses `TRUST_PROXY`: a comma-separated list of addresses (`10.0.0.5`,
 * `::1`), CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and `loopback`
 * (127.0.0.0/8 and ::1, for a proxy on the same machine).
 */
export function parseTrustProxy(value: string): { proxies: TrustedProxies; invalid: string[] } {
  const list = new BlockList();
  const invalid: string[] = [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (entry.toLowerCase() === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? undefined : Number(prefix);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || bits! > maxBits))) {
      invalid.push(entry);
      continue;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, bits, type);
  }
  if (entries.length === 0) return { proxies: TRUST_NO_PROXY, invalid };
  return {
    proxies: {
      trusts: (address) => {
        const plain = unmapped(address);
        const family = isIP(plain);
        return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
      },
      description: entries.join(', '),
    },
    invalid,
  };
}

/**
 * The client's address: the peer of the TCP connection, or, when that peer is
 * a trusted proxy, the rightmost `X-Forwarded-For` hop that is not one (each
 * proxy appends the address it saw, so hops left of an untrusted one may be
 * made up by the client). An entry that is not an IP address stops the walk
 * at the proxy that passed it on.
 */
export function clientAddress(request: IncomingMessage, proxies: TrustedProxies): string {
  let address = unmapped(request.socket.remoteAddress ?? '');
  if (!proxies.trusts(address)) return address;
  const hops = forwardedFor(request);
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = unmapped(hops[index]!);
    if (isIP(hop) === 0) break;
    address = hop;
    if (!proxies.trusts(hop)) break;
  }
  return address;
}

/**
 * The key a client's limits are counted under: an IPv4 address as is, an
 * IPv6 address by its /64 (one home, phone or VM gets a whole /64, so
 * counting single addresses would let it take 2^64 of them).
 */
export function addressKey(address: string): string {
  const plain = unmapped(address);
  if (isIP(plain) !== 6) return plain;
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

/** `X-Forwarded-For` hops, left to right, over all the header's lines. */
function forwardedFor(request: IncomingMessage): string[] {
  const header = request.headers['x-forwarded-for'];
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
}

/** `::ffff:192.0.2.1` (an IPv4 client of a dual-stack socket) → `192.0.2.1`. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

/** The eight hextets of an IPv6 address, without leading zeros (RFC 5952 §4.1). */
function expandIPv6(address: string): string[] {
  const withoutZone = address.split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4 was handled; ::1.2.3.4 or 64:ff9b::1.2.3.4 are not) becomes two hextets.
  const ipv4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(withoutZone)?.[1];
  let text = withoutZone;
  if (ipv4) {
    const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -ipv4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...(tail === undefined ? [] : zeros), ...right].map((hextet) => Number.parseInt(hextet, 16).toString(16));
}
