import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `node server/index.ts` running as a child process, as `npm run serve` starts it. */
export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` read from the "→ http://…" line it prints. */
  baseUrl: string;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the first output line matching `pattern` (already printed or yet to come). */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * Spawns the server on 127.0.0.1, port 0, API only, with `env` on top, and
 * waits until it prints its URL. The caller must make it exit (SIGTERM).
 * `script` runs another server that prints its URL the same way (a bench's
 * comparison server).
 */
export async function spawnServer(env: Record<string, string> = {}, script = 'server/index.ts'): Promise<ServerProcess> {
  const child = spawn(process.execPath, [script], {
    cwd: repoRoot,
    env: { ...process.env, API_ONLY: '1', PORT: '0', HOST: '127.0.0.1', DATA_DIR: ':memory:', RTW_CHECK_RESPONSES: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (!waiter.pattern.test(line)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLine = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) return resolve(found);
      waiters.push({ pattern, resolve });
      // A server that dies before printing the line must fail the test, not hang it.
      void exited.then(() => reject(new Error(`The server exited before printing ${pattern}:\n${lines.join('\n')}`)));
    });

  const urlLine = await waitForLine(/→ http:\/\/127\.0\.0\.1:\d+\//);
  const baseUrl = urlLine.slice(urlLine.indexOf('http://')).replace(/\/$/, '');
  return { child, baseUrl, output: () => lines.join('\n'), waitForLine, exited };
}
