import { hostname, networkInterfaces } from 'node:os';

/**
 * The `Host` check against DNS rebinding. A page on `rebind.evil.example`
 * can make its own name resolve to 127.0.0.1 or a LAN address, and then its
 * scripts read this server as "same origin": the browser sends
 * `Host: rebind.evil.example`, which is how the server tells. Only the names
 * the server is really reached at are accepted (RFC 9110 §7.4: a request for
 * an authority the server does not serve gets 421 Misdirected Request).
 *
 * The port is not compared: proxies in front (nginx, `astro dev`'s proxy)
 * pass the browser's port, not this server's, and rebinding changes the
 * name, never the port.
 */
export interface HostCheck {
  /** Whether a request with this `Host` header may be served. */
  allows(hostHeader: string | undefined): boolean;
}

/** Names every server accepts: it can always be reached on the loopback interface. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** `HOST` values that mean "every interface". */
const EVERY_INTERFACE = new Set(['0.0.0.0', '::']);

/** How long a read of the machine's addresses is reused: a laptop changes networks, rarely in a second. */
const INTERFACES_TTL_MS = 5_000;

/**
 * The name in a `Host` header, lower-cased, without port, brackets or a
 * final dot (`[::1]:4321` → `::1`, `Example.COM.:80` → `example.com`);
 * `undefined` when it is not a host (RFC 9110 §7.2, RFC 3986 §3.2.2).
 */
export function hostName(hostHeader: string): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9._-]+))(?::\d{1,5})?$/i.exec(hostHeader.trim());
  if (!match) return undefined;
  const name = (match[1] ?? match[2] ?? '').toLowerCase().replace(/\.$/, '');
  return name === '' ? undefined : name;
}

/** What {@link parseHostList} found in `ALLOWED_HOSTS`. */
export interface HostList {
  hosts: string[];
  /** Entries that are not host names or addresses, as written. */
  invalid: string[];
}

/** Parses `ALLOWED_HOSTS`: comma-separated names (`workbook.example.com, 10.0.0.5`); a port is ignored. */
export function parseHostList(raw: string): HostList {
  const hosts: string[] = [];
  const invalid: string[] = [];
  for (const entry of raw.split(',').map((item) => item.trim())) {
    if (entry === '') continue;
    const name = hostName(entry);
    if (name === undefined) invalid.push(entry);
    else if (!hosts.includes(name)) hosts.push(name);
  }
  return { hosts, invalid };
}

/**
 * The names a server listening on `listenHost` is reached at, besides the
 * loopback ones: with `0.0.0.0` or `::`, the machine's current addresses and
 * its host name (`laptop`, `laptop.local` over mDNS); else `listenHost` itself.
 */
export function namesServedAt(listenHost: string): string[] {
  const name = hostName(listenHost);
  if (!EVERY_INTERFACE.has(listenHost)) return name === undefined ? [] : [name];
  const machine = hostname().toLowerCase();
  const addresses = Object.values(networkInterfaces())
    .flat()
    .flatMap((info) => (info ? [info.address.toLowerCase()] : []));
  return [...addresses, machine, `${machine}.local`];
}

/**
 * Creates the check for a server listening on `listenHost`, which also
 * accepts `allowedHosts` (`ALLOWED_HOSTS`, names as {@link hostName} gives them).
 */
export function createHostCheck(listenHost: string, allowedHosts: readonly string[]): HostCheck {
  const fixed = new Set([...LOOPBACK, ...allowedHosts, ...(EVERY_INTERFACE.has(listenHost) ? [] : namesServedAt(listenHost))]);
  let machine = new Set<string>();
  let machineReadAt = -Infinity;
  const servedByMachine = (name: string) => {
    if (!EVERY_INTERFACE.has(listenHost)) return false;
    // Read again when stale: a laptop that joins the classroom's Wi-Fi gets a new address mid-session.
    if (!machine.has(name) && performance.now() - machineReadAt > INTERFACES_TTL_MS) {
      machine = new Set(namesServedAt(listenHost));
      machineReadAt = performance.now();
    }
    return machine.has(name);
  };
  return {
    allows(hostHeader) {
      // No Host at all is HTTP/1.0 from a tool, never a browser (Node refuses it on HTTP/1.1).
      if (hostHeader === undefined) return true;
      const name = hostName(hostHeader);
      if (name === undefined) return false;
      return fixed.has(name) || servedByMachine(name);
    },
  };
}
