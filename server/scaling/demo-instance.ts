import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { InstanceName, InstanceState, InstanceStatus } from '../../src/protocol/scaling.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const serverEntry = fileURLToPath(new URL('../index.ts', import.meta.url));
const exitWithParent = fileURLToPath(new URL('./exit-with-parent.ts', import.meta.url));

/** Variables an instance inherits from this process; everything else it is given explicitly. */
const INHERITED_ENV = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'NODE_ENV', 'SystemRoot'];

/** Lines of an instance's output kept, to say why it failed. */
const OUTPUT_LINES = 20;

/** What an instance is started with. */
export interface InstanceLaunch {
  /** Its environment, besides API_ONLY, PORT, HOST and DATA_DIR (e.g. REDIS_URL, PRESENCE_TTL_MS). */
  env: Record<string, string>;
  /** How long a start waits for `/readyz` to answer 200. */
  startTimeoutMs: number;
  /** A paused instance resumes by itself after this long. */
  pauseMs: number;
}

/**
 * One of lesson 8's demo instances: a real `node server/index.ts` child
 * process with `API_ONLY=1` on a free port of 127.0.0.1 and nothing saved
 * (`DATA_DIR=:memory:`). The reader kills it (SIGKILL), pauses it (SIGSTOP:
 * alive, its sockets open, its timers and heartbeats stopped) and restarts
 * it; it never outlives this process (see exit-with-parent.ts).
 */
export class DemoInstance {
  readonly name: InstanceName;
  readonly #launch: InstanceLaunch;
  #child: ChildProcess | undefined;
  #status: InstanceStatus = 'starting';
  #port: number | null = null;
  #startedAt: number | null = null;
  #resumesAt: number | null = null;
  #resumeTimer: NodeJS.Timeout | undefined;
  #exit: string | undefined;
  #output: string[] = [];
  #openStreams = 0;
  #exited: Promise<void> = Promise.resolve();

  constructor(name: InstanceName, launch: InstanceLaunch) {
    this.name = name;
    this.#launch = launch;
  }

  get status(): InstanceStatus {
    return this.#status;
  }

  /** Its port while it runs (or is paused); null otherwise. */
  get port(): number | null {
    return this.#status === 'running' || this.#status === 'paused' ? this.#port : null;
  }

  /** The process id while the process is alive (paused included), else null. */
  get pid(): number | null {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null;
  }

  /** Counts the streams the demo forwards to it; returns the function that uncounts one. */
  streamOpened(): () => void {
    this.#openStreams += 1;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.#openStreams -= 1;
    };
  }

  state(): InstanceState {
    return {
      name: this.name,
      status: this.#status,
      pid: this.#child?.pid ?? null,
      port: this.port,
      startedAt: this.#startedAt,
      resumesAt: this.#resumesAt,
      openStreams: this.#openStreams,
      ...(this.#exit === undefined ? {} : { exit: this.#exit }),
    };
  }

  /**
   * Starts the process (after killing the one before, if any) and resolves
   * once its `/readyz` answers 200 — with Redis, once its subscription is
   * live. Rejects, with the process killed, if it does not get there in time.
   */
  async start(): Promise<void> {
    await this.kill();
    this.#status = 'starting';
    this.#exit = undefined;
    this.#output = [];
    this.#port = null;
    const inherited = Object.fromEntries(
      INHERITED_ENV.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])),
    );
    const child = spawn(process.execPath, ['--import', exitWithParent, serverEntry], {
      cwd: repoRoot,
      env: { ...inherited, ...this.#launch.env, API_ONLY: '1', PORT: '0', HOST: '127.0.0.1', DATA_DIR: ':memory:' },
      // The IPC channel is how the instance learns this process died (exit-with-parent.ts).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#child = child;
    this.#startedAt = Date.now();
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#clearResume();
      if (this.#status === 'killed') return;
      this.#status = 'exited';
      this.#exit = `exited ${signal ? `on ${signal}` : `with code ${code}`}${this.#output.length ? `: ${this.#output.slice(-5).join(' | ')}` : ''}`;
    });
    const port = new Promise<number>((resolve, reject) => {
      const onLine = (line: string) => {
        this.#output.push(line);
        if (this.#output.length > OUTPUT_LINES) this.#output.shift();
        const match = /→ http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
        if (match) resolve(Number(match[1]));
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      child.once('exit', () => reject(new Error(`instance ${this.name.toUpperCase()} ${this.#exit ?? 'exited before listening'}`)));
      child.once('error', reject);
    });
    port.catch(() => {}); // awaited below; this only keeps a late rejection (after a timeout) from being "unhandled"
    try {
      const deadline = Date.now() + this.#launch.startTimeoutMs;
      this.#port = await withDeadline(port, deadline, `instance ${this.name.toUpperCase()} did not listen`);
      await this.#untilReady(this.#port, deadline);
      if (this.#child === child && this.#status === 'starting') this.#status = 'running';
    } catch (error) {
      if (this.#child === child) await this.kill();
      throw error;
    }
  }

  /** SIGKILL, as a crash would: no drain, no goodbye. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#clearResume();
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (child && this.#status !== 'exited') this.#status = 'killed';
      return;
    }
    this.#status = 'killed';
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGSTOP: the process stays, with its sockets, but runs nothing until {@link resume} (or `pauseMs`). */
  pause(): void {
    if (this.#status !== 'running' || !this.#child) return;
    this.#child.kill('SIGSTOP');
    this.#status = 'paused';
    this.#resumesAt = Date.now() + this.#launch.pauseMs;
    this.#resumeTimer = setTimeout(() => this.resume(), this.#launch.pauseMs);
    this.#resumeTimer.unref();
  }

  /** SIGCONT: a paused process runs again, its overdue timers first. */
  resume(): void {
    if (this.#status !== 'paused' || !this.#child) return;
    this.#clearResume();
    this.#child.kill('SIGCONT');
    this.#status = 'running';
  }

  #clearResume(): void {
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = undefined;
    this.#resumesAt = null;
  }

  async #untilReady(port: number, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (this.#status !== 'starting') throw new Error(`instance ${this.name.toUpperCase()} ${this.#exit ?? 'was stopped while starting'}`);
      if ((await readyStatus(port)) === 200) return;
      await delay(100);
    }
    throw new Error(
      `instance ${this.name.toUpperCase()} was not ready within ${this.#launch.startTimeoutMs} ms: ${this.#output.slice(-3).join(' | ')}`,
    );
  }
}

/** The status of `GET /readyz` on `port`, or 0 when it does not answer. */
function readyStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(0));
  });
}

function withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within the start timeout`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
