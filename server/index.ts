/**
 * Starts the companion server: reads the configuration, listens, prints where
 * to open the workbook, and shuts down gracefully on SIGTERM/SIGINT.
 *
 * `npm start` builds the site first; `npm run serve` serves an existing build;
 * `npm run dev` runs this with `API_ONLY=1` beside `astro dev`.
 */
import { networkInterfaces } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { createApp } from './app.ts';
import { ConfigError, readConfig, type ServerConfig } from './config.ts';
import { DatabaseStartError } from './store/database-start-error.ts';

const config = readConfigOrExit();
const app = createApp(config);

try {
  await app.ready();
} catch (error) {
  // A database that cannot be used is the operator's to fix, and its message says how: no stack trace.
  if (error instanceof DatabaseStartError) console.error(error.message);
  else console.error(`Could not load the built site from ${config.siteDir}:`, error);
  process.exit(1);
}

app.server.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') {
    console.error(`Port ${config.port} on ${config.host} is in use: stop the other server or set PORT (e.g. PORT=4400).`);
  } else {
    console.error('The server could not listen:', error);
  }
  process.exit(1);
});

app.server.listen(config.port, config.host, () => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const label = config.apiOnly ? 'Realtime Workbook API (API only)' : 'Realtime Workbook';
  for (const url of publicUrls(config.host, port)) console.log(`${label} → ${url}`);
});

let shuttingDown = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void shutDown(signal));
}

// #region shutdown
/**
 * Graceful shutdown: readiness goes false, new connections stop, in-flight
 * requests finish, then the process exits 0. Past the grace period (or on a
 * second signal) the remaining connections are cut and the exit code is 1.
 */
async function shutDown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    console.error(`${signal} again: exiting without waiting.`);
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal} received: draining (in-flight requests have ${config.shutdownGraceMs} ms to finish)…`);
  const forceExit = setTimeout(() => {
    console.error(`Still busy after ${config.shutdownGraceMs} ms: closing the remaining connections.`);
    app.server.closeAllConnections();
    process.exit(1);
  }, config.shutdownGraceMs);
  // Only a deadline: it must not be what keeps the process alive.
  forceExit.unref();

  app.beginDraining();
  if (config.drainDelayMs > 0) {
    // Give load balancers time to see /readyz fail before connections are refused.
    console.log(`/readyz now answers 503; still accepting connections for ${config.drainDelayMs} ms.`);
    await delay(config.drainDelayMs);
  }
  const closed = app.close();
  console.log(`Stopped accepting connections; waiting for ${app.inFlightRequests()} request(s) in flight.`);
  await closed;
  console.log('Drained: every request finished. Bye.');
  process.exit(0);
}
// #endregion shutdown

function readConfigOrExit(): ServerConfig {
  try {
    return readConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/** The URLs a person can open: `localhost`, plus the LAN addresses when listening on every interface. */
function publicUrls(host: string, port: number): string[] {
  const url = (name: string) => `http://${name.includes(':') ? `[${name}]` : name}:${port}/`;
  if (host !== '0.0.0.0' && host !== '::') return [url(host)];
  const lan = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info && info.family === 'IPv4' && !info.internal)
    .map((info) => url(info!.address));
  return [url('localhost'), ...lan];
}
