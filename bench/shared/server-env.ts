/**
 * What a benchmark's server runs as: production does not check its answers
 * against the API's schemas (`RTW_CHECK_RESPONSES`, which the test harness
 * turns on), so a bench must not pay for it either.
 */
export const AS_IN_PRODUCTION: Record<string, string> = {
  RTW_CHECK_RESPONSES: '0',
};

/**
 * The environment of a server a benchmark loads from one address: no rate
 * limits and stream caps above anything a bench opens, so the figures are the
 * server's capacity, not its limits (`bench/limits.ts` measures those).
 */
export const UNLIMITED_ENV: Record<string, string> = {
  ...AS_IN_PRODUCTION,
  RATE_LIMITS: 'off',
  MAX_CONNECTIONS_PER_IP: '10000000',
  MAX_CONNECTIONS: '10000000',
};
