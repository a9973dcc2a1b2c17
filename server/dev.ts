/**
 * `npm run dev`: the companion server (API only, restarted on change, see
 * dev-companion.ts) beside `astro dev`, whose Vite proxy forwards `/api`,
 * `/ws`, `/healthz` and `/readyz` to it (see astro.config.mjs).
 *
 * `PORT` and `HOST` apply to the page a person opens (astro dev); the
 * companion listens on 127.0.0.1, port `COMPANION_PORT` or PORT + 1 (4322
 * by default), which only the proxy needs to reach.
 * Ctrl-C stops both; when astro dev exits, the companion is stopped too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { companionPort, runCompanion } from './dev-companion.ts';
import { namesServedAt } from './http/host-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const companionHost = '127.0.0.1';
const companionUrl = `http://${companionHost}:${companionPort(process.env)}`;

const astroBin = path.join(path.dirname(createRequire(import.meta.url).resolve('astro/package.json')), 'bin', 'astro.mjs');
const astroArgs = ['dev'];
if (process.env.PORT) astroArgs.push('--port', process.env.PORT);
if (process.env.HOST) astroArgs.push('--host', process.env.HOST);

const stopCompanion = runCompanion({
  root,
  env: { API_ONLY: '1', PORT: String(companionPort(process.env)), HOST: companionHost, ALLOWED_HOSTS: pageHosts(), ...colours() },
  spawnNode: (args, env) => start('api', args, env),
  log: (line) => process.stdout.write(`${prefix('api')}${line}\n`),
});
const site = start('site', [astroBin, ...astroArgs], { ...process.env, COMPANION_URL: companionUrl, ...colours() });
site.on('exit', (code, signal) => {
  if (stopping) return;
  console.error(`${prefix('site')}exited (${signal ?? `code ${code}`}); stopping the companion.`);
  void stopAll('SIGTERM', code ?? 1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stopAll(signal, 0));
}

/**
 * The proxy passes the page's `Host` on: the companion must accept the names
 * astro dev is reached at (with HOST=0.0.0.0, this machine's addresses) besides its own.
 */
function pageHosts(): string {
  const page = process.env.HOST ? namesServedAt(process.env.HOST) : [];
  return [process.env.ALLOWED_HOSTS ?? '', ...page.map((name) => (name.includes(':') ? `[${name}]` : name))].filter(Boolean).join(',');
}

/** Piped output looks like a file to the children; keep their colours when we are on a terminal. */
function colours(): Record<string, string> {
  return process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};
}

function prefix(name: string): string {
  return `[${name}]`.padEnd(7);
}

/** Runs `node args…` with `env`, its output prefixed with `[name]`. */
function start(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only this script, which stops each child once.
    detached: true,
  });
  for (const [stream, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => target.write(`${prefix(name)}${line}\n`));
  }
  return child;
}

/** Stops the companion and astro dev, then exits with `exitCode`. */
async function stopAll(signal: NodeJS.Signals, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // A child that ignores the signal must not keep the terminal hostage.
  setTimeout(() => {
    site.kill('SIGKILL');
    process.exit(exitCode || 1);
  }, 15_000).unref();
  const siteExited =
    site.exitCode !== null || site.signalCode !== null ? Promise.resolve() : new Promise((resolve) => site.once('exit', resolve));
  site.kill(signal);
  await Promise.all([stopCompanion(), siteExited]);
  process.exit(exitCode);
}
