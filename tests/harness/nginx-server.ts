import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, untilAnswering } from './ports.ts';

/** The shipped configuration, the one the test must exercise. */
const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

/** nginx in front of some instances, for one test file. */
export interface TestNginx {
  /** Why the nginx tests are skipped, or undefined. */
  skip: string | undefined;
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** What nginx logged as errors so far. */
  errorLog(): string;
  stop(): Promise<void>;
}

/** Whether an `nginx` binary is on PATH (Debian's `nginx` package); the reason to skip when not. */
export function nginxMissing(): string | undefined {
  if (!spawnSync('nginx', ['-v']).error) return undefined;
  const reason = 'no nginx on PATH: install the nginx package';
  if (process.env.CI) throw new Error(`CI must run the nginx tests, but there is ${reason}.`);
  console.log(`# skipping the nginx tests: ${reason}`);
  return reason;
}

/**
 * Runs nginx with `deploy/nginx.conf` as shipped, but for its listen port and
 * the instances in its upstreams (`127.0.0.1:<port>` each), in a temporary
 * prefix directory.
 */
export async function startNginx(instancePorts: number[]): Promise<TestNginx> {
  const missing = nginxMissing();
  if (missing) return { skip: missing, baseUrl: '', errorLog: () => '', stop: async () => {} };
  const dir = mkdtempSync(path.join(tmpdir(), 'rtw-nginx-'));
  // Workers drop to an unprivileged user when started by root: they must reach the temp files.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'logs'));
  const port = await freePort();
  const site = readFileSync(SHIPPED_CONFIG, 'utf8')
    .replace(/^(\s*)listen \d+;/m, `$1listen 127.0.0.1:${port};`)
    .replace(/upstream (\w+) \{([^}]*)\}/g, (_block, name: string, body: string) => {
      const lines = body.split('\n');
      // Each instance gets the shipped `server` line of that upstream, with its parameters (max_fails…).
      const shipped = lines
        .find((line) => line.includes('# instance'))!
        .trim()
        .replace(/\s*#.*$/, '');
      const servers = instancePorts.map((instance) => shipped.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${instance}`));
      const kept = lines.filter((line) => !line.includes('# instance'));
      return `upstream ${name} {\n    ${servers.join('\n    ')}${kept.join('\n')}}`;
    });
  writeFileSync(path.join(dir, 'site.conf'), site);
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/site.conf;
}
`,
  );
  const check = spawnSync('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `pid ${dir}/nginx.pid;`]);
  if (check.status !== 0) throw new Error(`nginx refused deploy/nginx.conf:\n${check.stderr.toString()}`);
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid;`], {
    stdio: 'ignore',
  });
  await untilAnswering(port, 'nginx');
  const errorLog = () => {
    try {
      return readFileSync(path.join(dir, 'logs', 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    skip: undefined,
    baseUrl: `http://127.0.0.1:${port}`,
    errorLog,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await Promise.race([exited, delay(3_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
