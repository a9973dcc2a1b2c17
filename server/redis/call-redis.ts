import { BackplaneUnavailableError } from './backplane-unavailable.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Runs a Redis command for a request, turning an outage into
 * {@link BackplaneUnavailableError}, which the app answers with a 503 problem.
 * With the offline queue disabled, a command while disconnected fails at
 * once: the request never hangs until Redis is back.
 */
export async function callRedis<T>(redis: RedisConnection, call: () => Promise<T>): Promise<T> {
  if (!redis.commands.isReady) throw new BackplaneUnavailableError('Redis (REDIS_URL) is unreachable: reconnecting');
  try {
    return await call();
  } catch (error) {
    throw new BackplaneUnavailableError(`Redis failed: ${(error as Error).message}`, { cause: error });
  }
}
