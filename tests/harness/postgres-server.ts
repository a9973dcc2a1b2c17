import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';

const run = promisify(execFile);

/** A PostgreSQL server for one test file. */
export interface TestPostgres {
  /** Why the PostgreSQL tests are skipped, or undefined when a server runs: pass it as node:test's `skip`. */
  skip: string | undefined;
  /** A new, empty database on the server; returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server it started and removes its directory, or drops the databases it created on `TEST_DATABASE_URL`'s. Idempotent. */
  stop(): Promise<void>;
}

/** Where Debian's `postgresql` package puts the server binaries, one folder per major version. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/**
 * A throw-away PostgreSQL for one test file:
 * - `TEST_DATABASE_URL` set: that server (the URL of a database the tests may
 *   connect to and create databases from);
 * - else the binaries under `/usr/lib/postgresql/<version>/bin`: a new cluster
 *   in a temporary directory, on a free port of 127.0.0.1, trust auth, no
 *   fsync (nothing here must survive a crash). About a second to start.
 * - else no server: the tests skip with a reason, except under `CI`, where a
 *   missing PostgreSQL is an error (CI must run them; `.ci/run` installs it).
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return onServer(given, { ownServer: false, stopServer: async () => {} });
  const bin = postgresBin();
  if (!bin) {
    const reason = `no PostgreSQL: set TEST_DATABASE_URL or install the postgresql package (${DEBIAN_POSTGRES_ROOT}/*/bin)`;
    if (process.env.CI) throw new Error(`CI must run the PostgreSQL tests, but there is ${reason}.`);
    console.log(`# skipping the PostgreSQL tests: ${reason}`);
    return { skip: reason, createDatabase: () => Promise.reject(new Error(reason)), stop: async () => {} };
  }
  const cluster = await startCluster(bin);
  return onServer(cluster.url, { ownServer: true, stopServer: cluster.stop });
}

/** The newest `bin` folder under {@link DEBIAN_POSTGRES_ROOT} that has `pg_ctl`, if any. */
function postgresBin(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((version) => existsSync(path.join(DEBIAN_POSTGRES_ROOT, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && path.join(DEBIAN_POSTGRES_ROOT, versions[0], 'bin');
}

/** Creates databases on the server at `adminUrl`; on stop, drops them from a server it does not own, then `stopServer`. */
function onServer(adminUrl: string, { ownServer, stopServer }: { ownServer: boolean; stopServer: () => Promise<void> }): TestPostgres {
  const created: string[] = [];
  let stopped: Promise<void> | undefined;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    skip: undefined,
    async createDatabase() {
      // A name made here of [a-z0-9_], so it can stand in the SQL (CREATE DATABASE takes no parameters).
      const name = `rtw_test_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop() {
      stopped ??= (async () => {
        // FORCE (PostgreSQL 13) ends the sessions a test left open. A server of our own goes away whole.
        if (!ownServer) for (const name of created) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await stopServer();
      })();
      return stopped;
    },
  };
}

/** `initdb` and `pg_ctl start` in a new temporary directory; PostgreSQL refuses to run as root, so root runs them as `postgres`. */
async function startCluster(bin: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rtw-postgres-'));
  const asServerUser = async (command: string, args: string[]) => {
    const file = path.join(bin, command);
    if (process.getuid?.() === 0) return run('runuser', ['-u', 'postgres', '--', file, ...args]);
    return run(file, args);
  };
  try {
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: group } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(group.trim()));
    }
    const data = path.join(dir, 'data');
    await asServerUser('initdb', ['-D', data, '--auth=trust', '--username=postgres', '--no-sync', '--encoding=UTF8']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await asServerUser('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', options, 'start']);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        // "immediate": a test server has nothing to flush.
        await asServerUser('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start a test PostgreSQL with ${bin}: ${(error as Error).message}`, { cause: error });
  }
}
