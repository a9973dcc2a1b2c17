/**
 * `npm run dev`: the companion server (API only, restarted on change by
 * `node --watch`) beside `astro dev`, whose Vite proxy forwards `/api`,
 * `/ws`, `/healthz` and `/readyz` to it (see astro.config.mjs).
 *
 * `PORT` and `HOST` apply to the page a person opens (astro dev); the
 * companion listens on 127.0.0.1:4322, which only the proxy needs to reach.
 * Ctrl-C stops both; when either exits, the other is stopped too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const companionPort = 4322;
const companionHost = '127.0.0.1';

const astroBin = path.join(
  path.dirname(createRequire(import.meta.url).resolve('astro/package.json')),
  'bin',
  'astro.mjs',
);
const astroArgs = ['dev'];
if (process.env.PORT) astroArgs.push('--port', process.env.PORT);
if (process.env.HOST) astroArgs.push('--host', process.env.HOST);

const children: ChildProcess[] = [
  start('api', ['--watch', path.join(root, 'server', 'index.ts')], {
    API_ONLY: '1',
    PORT: String(companionPort),
    HOST: companionHost,
  }),
  start('site', [astroBin, ...astroArgs], { COMPANION_URL: `http://${companionHost}:${companionPort}` }),
];

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => stopAll(signal, 0));
}

/** Runs `node args…` with extra environment variables, its output prefixed with `[name]`. */
function start(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    // Piped output looks like a file to the children; keep their colours when we are on a terminal.
    env: { ...process.env, ...env, ...(process.stdout.isTTY ? { FORCE_COLOR: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches only this script, which stops each child once.
    // Otherwise the server would get SIGINT from the terminal *and* SIGTERM from `node --watch`.
    detached: true,
  });
  const prefix = `[${name}]`.padEnd(7);
  for (const [stream, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => target.write(`${prefix}${line}\n`));
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${prefix}exited (${signal ?? `code ${code}`}); stopping the other process.`);
    stopAll('SIGTERM', code ?? 1);
  });
  return child;
}

/** Stops every child still running, then exits with `exitCode`. */
function stopAll(signal: NodeJS.Signals, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  if (running.length === 0) process.exit(exitCode);
  let left = running.length;
  for (const child of running) {
    child.once('exit', () => {
      left -= 1;
      if (left === 0) process.exit(exitCode);
    });
    child.kill(signal);
  }
  // A child that ignores the signal must not keep the terminal hostage.
  setTimeout(() => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(exitCode || 1);
  }, 15_000).unref();
}
