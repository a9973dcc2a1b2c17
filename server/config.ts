import { fileURLToPath } from 'node:url';
import { SSE_DEFAULTS } from '../src/protocol/sse.ts';
import { WS_DEFAULTS } from '../src/protocol/websocket.ts';
import { parseHostList } from './http/host-check.ts';
import { CONNECTION_LIMITS } from '../src/protocol/rate-limits.ts';
import { parseTrustProxy, type TrustedProxies } from './limits/client-address.ts';
import { fileDescriptorLimit } from './limits/file-descriptor-limit.ts';
import { parseOriginList } from './websocket/origin-check.ts';
import { DEFAULT_PRESENCE_TTL_MS } from './websocket/presence-timings.ts';

/** Everything the companion server reads from its environment, validated. */
export interface ServerConfig {
  /** TCP port to listen on; 0 lets the OS choose a free one. `PORT`, default 4321. */
  port: number;
  /** Interface to listen on: `localhost`, `127.0.0.1`, `0.0.0.0` for a LAN workshop… `HOST`, default `localhost`. */
  host: string;
  /** Output of `astro build` (holds `client/` and `server/entry.mjs`). `SITE_DIR`, default `<repo>/dist`. */
  siteDir: string;
  /** Serve only the API (`/api`, `/healthz`, `/readyz`): in `npm run dev`, Vite serves the pages. `API_ONLY=1`. */
  apiOnly: boolean;
  /**
   * After SIGTERM/SIGINT, how long the shutdown (drain delay included) may take before the
   * process closes the remaining connections and exits anyway. `SHUTDOWN_GRACE_MS`, default 10 000.
   */
  shutdownGraceMs: number;
  /**
   * After SIGTERM/SIGINT, how long `/readyz` answers 503 while the server still
   * accepts connections, so a load balancer notices before connections are refused.
   * `DRAIN_DELAY_MS`, default 0 (nothing in front of a laptop to notify).
   */
  drainDelayMs: number;
  /**
   * Interval of the `: heartbeat` comments on SSE streams that do not ask for
   * their own (`?heartbeat=`). `SSE_HEARTBEAT_MS`, default 15 000.
   */
  sseHeartbeatMs: number;
  /**
   * Interval of the WebSocket pings; a socket that misses one is cut at the next.
   * `WS_HEARTBEAT_MS`, default 15 000.
   */
  wsHeartbeatMs: number;
  /**
   * Origins whose pages may open a WebSocket besides the server's own (e.g. the
   * `astro dev` origin). `ALLOWED_ORIGINS`, comma-separated, default none.
   */
  allowedOrigins: string[];
  /**
   * Host names the server answers to besides localhost, 127.0.0.1, [::1] and (with `HOST=0.0.0.0`)
   * the machine's addresses: the names of a deploy. Other `Host`s get 421 (DNS rebinding).
   * `ALLOWED_HOSTS`, comma-separated, default none.
   */
  allowedHosts: string[];
  /**
   * Where the SQLite database lives (`<dataDir>/workbook.sqlite`, created if
   * missing). `DATA_DIR`, default `<repo>/data`; `:memory:` keeps it in memory
   * (tests: nothing survives a restart). Unused when `databaseUrl` is set.
   */
  dataDir: string;
  /**
   * PostgreSQL instead of SQLite for progress and workshops, so that several
   * instances share them. `DATABASE_URL` (`postgres://` or `postgresql://`),
   * default none: SQLite in `dataDir`.
   */
  databaseUrl: string | undefined;
  /**
   * Redis for running several instances: the shared event log, Pub/Sub
   * fan-out and presence. `REDIS_URL` (`redis://`, `rediss://` or `unix:///path/to/redis.sock`), default
   * none: one process with the in-memory bus.
   */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and Pub/Sub channel, so workbooks (or tests) can share one Redis. `REDIS_PREFIX`, default `rtw:`. */
  redisPrefix: string;
  /**
   * With Redis: how long a chat member's presence outlives the last renewal by
   * its instance (renewed every third of it), so the members of an instance
   * that died leave every other instance's list by themselves.
   * `PRESENCE_TTL_MS`, default 30 000.
   */
  presenceTtlMs: number;
  /**
   * Streams (SSE, WebSockets, held long polls together) one client address may
   * hold at once; more get 429. `MAX_CONNECTIONS_PER_IP`, default 2 000: a
   * class of 200 behind one NAT, 8 streams each, plus a quarter for second tabs.
   */
  maxConnectionsPerIp: number;
  /** Streams the whole server may hold at once. `MAX_CONNECTIONS`, default ¾ of the open-file limit (`ulimit -n`). */
  maxConnections: number;
  /**
   * The proxies whose `X-Forwarded-For` names the client (for the limits):
   * `TRUST_PROXY`, comma-separated addresses, CIDRs or `loopback`; default none.
   */
  trustProxy: TrustedProxies;
  /** `RATE_LIMITS=off` turns the token buckets off (load tests, benchmarks); the stream caps stay. Default on. */
  rateLimits: boolean;
  /**
   * Check every JSON answer against the API's contract (`src/protocol/api-schemas.ts`)
   * before sending it; a mismatch is logged and answered 500 `response-contract`.
   * The test harness turns it on; production leaves it off (it parses every answer twice).
   * `RTW_CHECK_RESPONSES=1`, default off.
   */
  checkResponses: boolean;
}

/** Thrown by {@link readConfig} with one line per invalid variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Reads and validates the server configuration from environment variables.
 * Every invalid variable is reported at once, so one restart fixes them all.
 *
 * @throws {ConfigError} when a variable has a value the server cannot use.
 */
export function readConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const errors: string[] = [];

  const port = readInteger(env, 'PORT', 4321, 0, 65_535, errors);
  const host = readString(env, 'HOST', 'localhost', errors);
  const siteDir = readString(env, 'SITE_DIR', `${repoRoot}dist`, errors);
  const apiOnly = readFlag(env, 'API_ONLY', errors);
  const checkResponses = readFlag(env, 'RTW_CHECK_RESPONSES', errors);
  // An hour is far beyond any sensible drain; a larger value is more likely a typo (seconds × 1000 twice).
  const shutdownGraceMs = readInteger(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000, errors);
  const drainDelayMs = readInteger(env, 'DRAIN_DELAY_MS', 0, 0, 3_600_000, errors);
  // Below 10 ms a heartbeat is a busy loop; above 10 min most proxies have long cut the idle stream.
  const sseHeartbeatMs = readInteger(env, 'SSE_HEARTBEAT_MS', SSE_DEFAULTS.heartbeatMs, 10, 600_000, errors);
  const wsHeartbeatMs = readInteger(env, 'WS_HEARTBEAT_MS', WS_DEFAULTS.heartbeatMs, 10, 600_000, errors);
  const dataDir = readString(env, 'DATA_DIR', `${repoRoot}data`, errors);
  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], errors);
  // unix:///path/redis.sock: a Redis on a Unix socket (lesson 8's demo starts its private one so).
  const redisUrl = readUrl(env, 'REDIS_URL', ['redis:', 'rediss:', 'unix:'], errors);
  const redisPrefix = readString(env, 'REDIS_PREFIX', 'rtw:', errors);
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisPrefix)) {
    errors.push(`REDIS_PREFIX=${JSON.stringify(redisPrefix)}: expected 1–64 of A–Z a–z 0–9 : _ . -`);
  }
  // Under 300 ms renewals would be a busy loop; over an hour a dead instance's members would linger.
  const presenceTtlMs = readInteger(env, 'PRESENCE_TTL_MS', DEFAULT_PRESENCE_TTL_MS, 300, 3_600_000, errors);
  const { origins: allowedOrigins, invalid: invalidOrigins } = parseOriginList(env.ALLOWED_ORIGINS ?? '');
  if (invalidOrigins.length > 0) {
    const shown = invalidOrigins.map((origin) => JSON.stringify(origin)).join(', ');
    errors.push(`ALLOWED_ORIGINS has ${shown}: expected origins like https://example.com:8443 (no path).`);
  }
  const { hosts: allowedHosts, invalid: invalidHosts } = parseHostList(env.ALLOWED_HOSTS ?? '');
  if (invalidHosts.length > 0) {
    const shown = invalidHosts.map((host) => JSON.stringify(host)).join(', ');
    errors.push(`ALLOWED_HOSTS has ${shown}: expected host names like workbook.example.com (no scheme, no path).`);
  }
  const maxConnectionsPerIp = readInteger(env, 'MAX_CONNECTIONS_PER_IP', CONNECTION_LIMITS.maxPerAddress, 1, 10_000_000, errors);
  const maxConnections = env.MAX_CONNECTIONS?.trim()
    ? readInteger(env, 'MAX_CONNECTIONS', 0, 1, 10_000_000, errors)
    : Math.max(1, Math.floor(fileDescriptorLimit() * CONNECTION_LIMITS.fileDescriptorShare));
  const rateLimitsSetting = (env.RATE_LIMITS ?? 'on').trim().toLowerCase();
  if (!['on', 'off', ''].includes(rateLimitsSetting)) {
    errors.push(`RATE_LIMITS=${JSON.stringify(env.RATE_LIMITS)}: expected on or off.`);
  }
  const { proxies: trustProxy, invalid: invalidProxies } = parseTrustProxy(env.TRUST_PROXY ?? '');
  if (invalidProxies.length > 0) {
    const shown = invalidProxies.map((entry) => JSON.stringify(entry)).join(', ');
    errors.push(`TRUST_PROXY has ${shown}: expected addresses (10.0.0.5), CIDRs (10.0.0.0/8, fd00::/8) or loopback.`);
  }
  // The grace period counts from the signal, so the delay must leave time to finish requests.
  if (drainDelayMs > 0 && drainDelayMs >= shutdownGraceMs) {
    errors.push(`DRAIN_DELAY_MS (${drainDelayMs}) must be shorter than SHUTDOWN_GRACE_MS (${shutdownGraceMs}).`);
  }

  if (errors.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  }
  return {
    port,
    host,
    siteDir,
    apiOnly,
    shutdownGraceMs,
    drainDelayMs,
    sseHeartbeatMs,
    wsHeartbeatMs,
    allowedOrigins,
    allowedHosts,
    dataDir,
    databaseUrl,
    redisUrl,
    redisPrefix,
    presenceTtlMs,
    maxConnectionsPerIp,
    maxConnections,
    trustProxy,
    rateLimits: rateLimitsSetting !== 'off',
    checkResponses,
  };
}

/** An optional URL whose scheme is one of `protocols`; the value is kept as given. */
function readUrl(env: Record<string, string | undefined>, name: string, protocols: string[], errors: string[]): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === undefined || !protocols.includes(protocol)) {
    // Never echo the value: it may hold a password.
    errors.push(`${name} is not a ${protocols.map((scheme) => `${scheme}//`).join(' or ')} URL.`);
    return undefined;
  }
  return raw;
}

function readInteger(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  errors: string[],
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  // Number('1e3') and Number('0x10') are valid numbers; a config value should be plain digits.
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    errors.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}.`);
    return fallback;
  }
  return Number(raw);
}

function readString(env: Record<string, string | undefined>, name: string, fallback: string, errors: string[]): string {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw.trim() === '') {
    errors.push(`${name} is set but empty: unset it to use the default (${fallback}).`);
    return fallback;
  }
  return raw.trim();
}

function readFlag(env: Record<string, string | undefined>, name: string, errors: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  errors.push(`${name}=${JSON.stringify(env[name])}: expected 1 or 0 (true or false).`);
  return false;
}
