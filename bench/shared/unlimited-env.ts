/**
 * The environment of a server a benchmark loads from one address: no rate
 * limits and stream caps above anything a bench opens, so the figures are the
 * server's capacity, not its limits (`bench/limits.ts` measures those).
 */
export const UNLIMITED_ENV: Record<string, string> = {
  RATE_LIMITS: 'off',
  MAX_CONNECTIONS_PER_IP: '10000000',
  MAX_CONNECTIONS: '10000000',
};
