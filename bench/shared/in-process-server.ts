import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.ts';
import { readConfig } from '../../server/config.ts';
import type { Logger } from '../../server/logger.ts';
import type { WorkbookApp } from '../../server/workbook-app.ts';
import { UNLIMITED_ENV } from './server-env.ts';

/**
 * Our server in the bench's own process, for a bench that looks inside it
 * (its heap, its allocations): API only, as production runs it and without
 * limits (`UNLIMITED_ENV`), progress in memory, on a free port of 127.0.0.1.
 * `env` adds to that (`REDIS_URL`…). Warnings and errors are printed.
 */
export async function startInProcess(env: Record<string, string | undefined> = {}): Promise<{ app: WorkbookApp; baseUrl: string }> {
  const config = { ...readConfig({ ...env, ...UNLIMITED_ENV, API_ONLY: '1' }), dataDir: ':memory:', host: '127.0.0.1', port: 0 };
  const logger: Logger = { info: () => {}, warn: console.warn, error: console.error };
  const app = createApp(config, { logger });
  await app.ready();
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  return { app, baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}
