import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type RedisClientType } from '@redis/client';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { REDIS_INSTALL_COMMANDS, type BackplaneAvailability } from '../../src/protocol/scaling.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Logger } from '../logger.ts';

/** Options of {@link DemoRedis}. */
export interface DemoRedisOptions {
  /** The workbook's own `REDIS_URL`: when set, the demos use it, each under a fresh prefix. */
  redisUrl: string | undefined;
  /** The workbook's `REDIS_PREFIX`, which the demos' prefixes start with on that Redis. */
  redisPrefix: string;
  /** The command that starts a private Redis; `null` acts as if none were installed (tests). Default `redis-server`. */
  redisServer?: string | null;
  logger: Logger;
}

/** The Redis a demo's instances share. */
export interface DemoBackplane {
  /** `REDIS_URL` for the instances: `redis://…`, or `unix:///…/redis.sock` for the private one. */
  url: string;
  /** A prefix no other demo uses (`REDIS_PREFIX` for the instances). */
  prefix: string;
  source: 'REDIS_URL' | 'redis-server';
}

/** Every private Redis lives in a temp directory named so. */
const DIR_PREFIX = 'rtw-demo-redis-';

/** How long the demos' own connection to Redis may take. */
const CONNECT_TIMEOUT_MS = 5_000;

/** A private Redis must answer PING within this after it was spawned. */
const PRIVATE_START_MS = 5_000;

/**
 * Where lesson 8's demos find a Redis, in this order:
 *
 * 1. the workbook's own `REDIS_URL`, each demo under a fresh key prefix
 *    (removed with SCAN + UNLINK when the demo stops, never KEYS);
 * 2. else `redis-server` on PATH: one private server, started on first use
 *    on a Unix socket in a temp dir (`--port 0`: no TCP port at all),
 *    nothing persisted, 64 MB at most, stopped by {@link close} — and
 *    killed by the kernel if this process dies first (`setpriv --pdeathsig`
 *    where it exists, as on Linux);
 * 3. else none: {@link availability} says what is missing and how to get it,
 *    and {@link acquire} refuses with a 503 that says the same. The demo
 *    never pretends to have a backplane.
 */
export class DemoRedis {
  readonly #options: DemoRedisOptions;
  #found: Promise<string | undefined> | undefined;
  #private: Promise<{ url: string; child: ChildProcess; dir: string }> | undefined;
  #privateChild: ChildProcess | undefined;
  #client: RedisClientType | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(options: DemoRedisOptions) {
    this.#options = options;
  }

  async availability(): Promise<BackplaneAvailability> {
    if (this.#options.redisUrl !== undefined) {
      return {
        available: true,
        source: 'REDIS_URL',
        detail: 'The workbook runs on a Redis (REDIS_URL): each demo gets a key prefix of its own on it.',
      };
    }
    const command = await this.#findRedisServer();
    if (command !== undefined) {
      return {
        available: true,
        source: 'redis-server',
        detail: `No REDIS_URL: the workbook starts a private ${command} on a Unix socket for the demos, and stops it when it exits.`,
      };
    }
    return {
      available: false,
      detail: 'There is no Redis: REDIS_URL is not set and redis-server is not on PATH, so the instances cannot share a backplane.',
      install: REDIS_INSTALL_COMMANDS,
    };
  }

  /**
   * A Redis and a fresh prefix for one demo, starting the private server if needed.
   * @throws {HttpProblem} 503 `backplane-missing` when there is no Redis to be had.
   */
  async acquire(): Promise<DemoBackplane> {
    const id = randomBytes(4).toString('hex');
    if (this.#options.redisUrl !== undefined) {
      await this.#connect(this.#options.redisUrl);
      return { url: this.#options.redisUrl, prefix: `${this.#options.redisPrefix.slice(0, 44)}demo-${id}:`, source: 'REDIS_URL' };
    }
    const availability = await this.availability();
    if (!availability.available) {
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.backplaneMissing,
        detail: `${availability.detail} Install one (${availability.install.map((way) => way.command).join(', or ')}) and restart the workbook; the demo without the backplane runs as it is.`,
        extensions: { install: availability.install },
      });
    }
    const { url } = await this.#startPrivate();
    await this.#connect(url);
    return { url, prefix: `demo-${id}:`, source: 'redis-server' };
  }

  /** The private redis-server's process id while it runs, else null. */
  get pid(): number | null {
    const child = this.#privateChild;
    return child && child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null;
  }

  /** A connection to the demos' Redis for reading (presence keys), once one was acquired. */
  get commands(): RedisClientType | undefined {
    return this.#client?.isReady ? this.#client : undefined;
  }

  /** Removes every key under `prefix`: SCAN in steps (never KEYS, which blocks Redis), UNLINK what it finds. */
  async release(prefix: string): Promise<void> {
    const client = this.commands;
    if (!client) return;
    let cursor = '0';
    do {
      const reply = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '500'])) as [string, string[]];
      cursor = String(reply[0]);
      if (reply[1].length > 0) await client.sendCommand(['UNLINK', ...reply[1]]);
    } while (cursor !== '0');
  }

  /** Closes the connection and stops the private server (and removes its directory). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client) await (client.isReady ? client.close() : client.destroy());
    const started = this.#private;
    this.#private = undefined;
    if (!started) return;
    const { child, dir } = await started.catch(() => ({ child: undefined, dir: undefined }));
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }

  /** The redis-server command if it runs here (`--version` answers), else undefined. Asked once. */
  #findRedisServer(): Promise<string | undefined> {
    const command = this.#options.redisServer === undefined ? 'redis-server' : this.#options.redisServer;
    if (command === null) return Promise.resolve(undefined);
    this.#found ??= commandRuns(command, ['--version']).then((runs) => (runs ? command : undefined));
    return this.#found;
  }

  #startPrivate(): Promise<{ url: string; child: ChildProcess; dir: string }> {
    this.#private ??= (async () => {
      const command = (await this.#findRedisServer())!;
      await removeStaleDirs();
      const dir = mkdtempSync(path.join(tmpdir(), DIR_PREFIX));
      const socket = path.join(dir, 'redis.sock');
      const args = [
        '--port',
        '0',
        '--unixsocket',
        socket,
        '--unixsocketperm',
        '700',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory',
        '64mb',
        '--maxmemory-policy',
        'noeviction',
        '--loglevel',
        'warning',
      ];
      // The kernel kills the server when this process dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG).
      const guard = (await commandRuns('setpriv', ['--version']))
        ? (['setpriv', ['--pdeathsig', 'KILL', command, ...args]] as const)
        : undefined;
      const child = guard ? spawn(guard[0], guard[1], { stdio: 'ignore' }) : spawn(command, args, { stdio: 'ignore' });
      this.#privateChild = child;
      child.once('exit', (code, signal) => {
        if (this.#closed) return;
        this.#options.logger.warn(`The demos' private Redis exited (${signal ?? code}); the next demo with the backplane starts another.`);
        this.#private = undefined;
        rmSync(dir, { recursive: true, force: true });
      });
      try {
        await untilPong(socket, PRIVATE_START_MS);
      } catch (error) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      return { url: `unix://${socket}`, child, dir };
    })();
    this.#private.catch(() => (this.#private = undefined));
    return this.#private;
  }

  #connect(url: string): Promise<void> {
    if (this.#client) return Promise.resolve();
    this.#connecting ??= (async () => {
      const client = createClient({
        url,
        socket: { reconnectStrategy: (retries) => Math.min(5_000, 100 * 2 ** retries) },
      }) as RedisClientType;
      let warned = false;
      // An 'error' with no listener would crash the process; say it once per outage.
      client.on('error', (error: Error) => {
        if (warned || this.#closed) return;
        warned = true;
        this.#options.logger.warn(`The demos' Redis connection failed, reconnecting: ${error.message}`);
      });
      client.on('ready', () => (warned = false));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      });
      try {
        await Promise.race([client.connect(), late]);
      } catch (error) {
        client.destroy();
        throw error;
      } finally {
        clearTimeout(timer);
      }
      this.#client = client;
    })().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }
}

/**
 * Removes the directories of private Redis servers that are gone without
 * cleaning up (their workbook was killed with SIGKILL: the kernel killed the
 * server, nobody removed the directory). A directory whose socket still
 * answers belongs to a running workbook and stays, and so does one younger
 * than a minute, whose server may still be starting.
 */
async function removeStaleDirs(): Promise<void> {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(base, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < 60_000) continue;
      if (await answers(path.join(dir, 'redis.sock'))) continue;
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
}

/** Whether something accepts connections on the Unix socket `socket`. */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = createConnection({ path: socket });
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}

/** Whether `command args` runs and exits 0. */
function commandRuns(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(command, args, { timeout: 5_000 }, (error) => resolve(error === null)));
}

/** Resolves once the Redis on the Unix socket `socket` answers PING (it does once its data is loaded). */
async function untilPong(socket: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const pong = await new Promise<boolean>((resolve) => {
      const connection = createConnection({ path: socket });
      connection.once('error', () => resolve(false));
      connection.once('connect', () => connection.write('PING\r\n'));
      connection.once('data', (data) => {
        connection.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
    });
    if (pong) return;
    await delay(25);
  }
  throw new Error(`the private redis-server did not answer on ${socket} within ${withinMs} ms`);
}
