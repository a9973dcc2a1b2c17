import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, untilAnswering } from './ports.ts';

/** A Redis server for one test file. */
export interface TestRedis {
  /** Why the Redis tests are skipped, or undefined when a server runs: pass it as node:test's `skip`. */
  skip: string | undefined;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** A fresh key prefix (`REDIS_PREFIX`), so tests sharing the server never see each other's keys. */
  prefix(): string;
  /**
   * Stops the server (SIGKILL: like a crash) and starts it again on the same
   * port with the same data, or with none when `wipe` (a Redis run without persistence).
   */
  restart(options?: { downMs?: number; wipe?: boolean }): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A throw-away `redis-server` (Debian's `redis-server` package) on a free
 * port of 127.0.0.1, with an append-only file so a restart keeps the data,
 * as a production Redis behind the workbook should.
 * `TEST_REDIS_URL` set: that server instead (then {@link TestRedis.restart} is not possible).
 * No binary: the tests skip with a reason, except under `CI`, where it is an error.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const prefix = () => `test-${randomBytes(4).toString('hex')}:`;
  const given = process.env.TEST_REDIS_URL;
  if (given) {
    return {
      skip: undefined,
      url: given,
      prefix,
      restart: () => Promise.reject(new Error('cannot restart the Redis of TEST_REDIS_URL')),
      stop: async () => {},
    };
  }
  if (spawnSync('redis-server', ['--version']).error) {
    const reason = 'no redis-server on PATH: install the redis-server package or set TEST_REDIS_URL';
    if (process.env.CI) throw new Error(`CI must run the Redis tests, but there is ${reason}.`);
    console.log(`# skipping the Redis tests: ${reason}`);
    return { skip: reason, url: '', prefix, restart: () => Promise.reject(new Error(reason)), stop: async () => {} };
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'rtw-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      { stdio: 'ignore' },
    );
    await untilAnswering(port, 'redis-server', { hello: 'PING\r\n', answer: /^\+PONG/ });
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    skip: undefined,
    url: `redis://127.0.0.1:${port}`,
    prefix,
    async restart({ downMs = 500, wipe = false } = {}) {
      await kill();
      if (wipe) for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true });
      await delay(downMs);
      await start();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
