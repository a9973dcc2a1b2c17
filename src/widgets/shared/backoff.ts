/**
 * The backoff formula moved to `src/protocol/backoff.ts`, so the server's
 * simulated fleets (lesson 7) compute their waits with the very same code as
 * the widgets. Re-exported here for the widgets that import it from here.
 */
export * from '../../protocol/backoff.ts';
