import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { watchTrees } from './watch-trees.ts';

/** `astro dev`'s port when PORT is not set. */
const ASTRO_DEV_PORT = 4321;

/** What the companion imports: a change in any of them restarts it. */
const WATCHED = ['server', 'src', 'content'];

/**
 * The companion's port under `npm run dev`: `COMPANION_PORT`, else the page's
 * port plus one (4322 beside astro dev's 4321), so two checkouts started with
 * different PORTs never fight over it.
 */
export function companionPort(env: NodeJS.ProcessEnv): number {
  if (env.COMPANION_PORT) return Number(env.COMPANION_PORT);
  return (env.PORT ? Number(env.PORT) : ASTRO_DEV_PORT) + 1;
}

export interface CompanionOptions {
  /** The checkout: its server/index.ts runs, its server/, src/ and content/ are watched. */
  root: string;
  /** The companion's environment (API_ONLY, PORT, HOST…), on top of this process's. */
  env: Record<string, string>;
  /** Starts the process (with its output piped); `npm run dev` prefixes its lines. */
  spawnNode?: (args: string[], env: NodeJS.ProcessEnv) => ChildProcess;
  /** Told of restarts and of a companion that exited on its own. */
  log?: (line: string) => void;
}

/**
 * The companion server under `npm run dev`: started, then restarted on each
 * change under server/, src/ or content/. One that exits on its own (a syntax
 * error mid-edit) waits for the next change instead of ending the session.
 *
 * @returns stops watching and the companion; resolves once it exited.
 */
export function runCompanion({ root, env, spawnNode = spawnInherited, log = console.log }: CompanionOptions): () => Promise<void> {
  const entry = path.join(root, 'server', 'index.ts');
  let current: ChildProcess | undefined;
  let stopped = false;
  // Restarts run one after another, never two companions at once.
  let restarting: Promise<void> = Promise.resolve();

  const start = () => {
    const child = spawnNode([entry], { ...process.env, ...env });
    child.once('exit', (code, signal) => {
      if (child === current && !stopped) log(`exited (${signal ?? `code ${code}`}); waiting for a change to start it again.`);
    });
    current = child;
  };
  const stopCurrent = async () => {
    const child = current;
    current = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };

  start();
  const stopWatching = watchTrees(
    WATCHED.map((dir) => path.join(root, dir)),
    (file) => {
      restarting = restarting.then(async () => {
        if (stopped) return;
        log(`${path.relative(root, file)} changed: restarting.`);
        await stopCurrent();
        if (!stopped) start();
      });
    },
  );
  return async () => {
    stopped = true;
    stopWatching();
    await restarting;
    await stopCurrent();
  };
}

function spawnInherited(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { env, stdio: 'inherit' });
}
