import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from '../../server/app.ts';
import type { WorkbookApp } from '../../server/workbook-app.ts';
import { readConfig, type ServerConfig } from '../../server/config.ts';
import type { Logger } from '../../server/logger.ts';
import { waitUntil } from './wait-until.ts';

/** A companion server running in this process for one test file. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  app: WorkbookApp;
  /** What the server logged as errors: a test of bad input expects none. */
  errors: string[];
  /** What the server logged as warnings. */
  warnings: string[];
  /** Closes the server and clears its timers. */
  stop(): Promise<void>;
}

/** What {@link startServer} accepts: configuration and app options overrides. */
export interface StartServerOptions extends Omit<AppOptions, 'logger'> {
  config?: Partial<ServerConfig>;
  /**
   * With `config.redisUrl`: resolve only once the instance is ready, its Redis
   * connections and subscription up (as a load balancer would wait for
   * `/readyz`). Default true; false for a test of an unreachable Redis.
   */
  untilReady?: boolean;
}

/**
 * Starts the real app on 127.0.0.1, port 0 (a free port the OS picks).
 * API only unless `config.apiOnly` is false; logs are captured, not printed.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const logger: Logger = {
    info: () => {},
    warn: (message) => warnings.push(message),
    error: (message, error) => errors.push(`${message} ${error instanceof Error ? error.stack : (error ?? '')}`),
  };
  const config: ServerConfig = {
    // Every JSON answer is held to the API's contract: a drifting route fails the test that calls it.
    ...readConfig({ API_ONLY: '1', RTW_CHECK_RESPONSES: '1' }),
    // Progress in memory unless a test gives a DATA_DIR: tests never write to the repository's data/.
    dataDir: ':memory:',
    ...options.config,
    port: 0,
    host: '127.0.0.1',
  };
  const { config: _ignored, untilReady = true, ...appOptions } = options;
  const app = createApp(config, { ...appOptions, logger });
  await app.ready();
  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(0, '127.0.0.1', () => resolve());
  });
  if (config.redisUrl !== undefined && untilReady) {
    await waitUntil(
      () => app.isReady(),
      () => `the instance is ready (${app.isReady()})`,
      10_000,
    );
  }
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, app, errors, warnings, stop: () => app.close() };
}
