import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';
import type { Logger } from '../logger.ts';

/**
 * Why `@redis/client` (node-redis): it is the client Redis maintains, speaks
 * RESP3, re-subscribes by itself after a reconnect, and can refuse commands
 * while disconnected (`disableOfflineQueue`) — a publish during an outage
 * must fail at once with a 503, not wait in memory for Redis to come back.
 * We depend on the core client only, not the `redis` bundle of modules.
 */

/** The two connections an instance keeps to Redis, and what it knows of their health. */
export interface RedisConnection {
  /** Commands and scripts. */
  readonly commands: RedisClientType;
  /** Pub/Sub only: a subscribed connection can run no other command (RESP2). */
  readonly subscriber: RedisClientType;
  /** Keys are prefixed with this (`REDIS_PREFIX`), so several workbooks or tests can share one Redis. */
  readonly prefix: string;
  /** Why Redis cannot be used now, or undefined when both connections are up. */
  unavailableReason(): string | undefined;
  /** Calls `listener` each time the subscriber connection is ready again after a loss. */
  onSubscriberReconnect(listener: () => void): void;
  /** Runs a Lua script by its SHA-1, loading it on first use (and after a Redis restart forgot it). */
  runScript(script: LuaScript, keys: string[], args: string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** A Lua script and its SHA-1, for `EVALSHA`. */
export interface LuaScript {
  source: string;
  sha1: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/** Runs `script` on `client` by its SHA-1, sending the source only when Redis does not know it yet (NOSCRIPT). */
export async function evalScript(client: RedisClientType, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await client.sendCommand(['EVALSHA', script.sha1, ...tail]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.sendCommand(['EVAL', script.source, ...tail]);
  }
}

/** Longest wait between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Reconnects with exponential backoff and full jitter (lesson 7): a Redis
 * restart must not be met by every instance of the fleet at the same instant.
 */
export function reconnectDelay(retries: number): number {
  const ceiling = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(retries, 16));
  return 50 + Math.round(Math.random() * ceiling);
}

/**
 * Opens both connections to `url` in the background: the server starts (and
 * serves pages) while Redis is unreachable, and reports it through
 * {@link RedisConnection.unavailableReason} until it is reachable.
 */
export function connectRedis(url: string, prefix: string, logger: Logger): RedisConnection {
  const options = {
    url,
    // A command while disconnected fails at once instead of queueing: callers answer 503.
    disableOfflineQueue: true,
    socket: { reconnectStrategy: reconnectDelay, connectTimeout: 5_000 },
    // A silently dropped network is noticed within this, not after TCP's minutes.
    pingInterval: 5_000,
  };
  const commands = createClient(options) as RedisClientType;
  const subscriber = commands.duplicate() as RedisClientType;
  const reconnectListeners: (() => void)[] = [];
  let closed = false;

  for (const [role, client] of [
    ['commands', commands],
    ['subscriber', subscriber],
  ] as const) {
    let lost = false;
    // An 'error' with no listener would crash the process; log each outage once, not every retry.
    client.on('error', (error: Error) => {
      if (lost || closed) return;
      lost = true;
      logger.warn(`Redis (${role} connection) is unreachable, reconnecting with backoff: ${error.message}`);
    });
    client.on('ready', () => {
      if (!lost) return;
      lost = false;
      logger.info(`Redis (${role} connection) is back.`);
      if (role === 'subscriber') reconnectListeners.forEach((listener) => listener());
    });
    client.connect().catch((error: Error) => {
      if (!closed) logger.error(`Redis (${role} connection) gave up connecting:`, error);
    });
  }

  return {
    commands,
    subscriber,
    prefix,
    unavailableReason() {
      if (!commands.isReady) return `Redis (REDIS_URL) is unreachable: reconnecting`;
      if (!subscriber.isReady) return `the Redis subscription is down: reconnecting`;
      return undefined;
    },
    onSubscriberReconnect(listener) {
      reconnectListeners.push(listener);
    },
    runScript: (script, keys, args) => evalScript(commands, script, keys, args),
    async close() {
      if (closed) return;
      closed = true;
      // A connection still retrying has nothing to flush: stop its retries at once.
      const stop = async (client: RedisClientType) => (client.isReady ? client.close() : client.destroy());
      await Promise.allSettled([stop(commands), stop(subscriber)]);
    },
  };
}
