import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { nginxMissing, startNginx, type TestNginx } from './nginx-server.ts';
import { startTestPostgres, type TestPostgres } from './postgres-server.ts';
import { startTestRedis, type TestRedis } from './redis-server.ts';
import { spawnServer, type ServerProcess } from './spawn-server.ts';
import { waitUntil } from './wait-until.ts';

/** What a file of cluster tests shares: a throw-away Redis and PostgreSQL. */
export interface ClusterBackends {
  redis: TestRedis;
  postgres: TestPostgres;
  /** Why the file's tests are skipped (no Redis, PostgreSQL or nginx, outside CI), or undefined: node:test's `skip`. */
  skip: string | undefined;
  /** An instance's environment: this Redis under a fresh prefix, and a fresh database. */
  env(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts Redis and PostgreSQL for a test file (each skips with its reason when its binary is absent). */
export async function startClusterBackends(): Promise<ClusterBackends> {
  const redis = await startTestRedis();
  const postgres = await startTestPostgres();
  return {
    redis,
    postgres,
    skip: redis.skip ?? postgres.skip ?? nginxMissing(),
    env: async () => ({ REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix(), DATABASE_URL: await postgres.createDatabase() }),
    async stop() {
      await redis.stop();
      await postgres.stop();
    },
  };
}

/** Instances of the server behind nginx, as an operator runs them. */
export interface NginxCluster {
  /** The instances, at least two. */
  instances: [ServerProcess, ServerProcess, ...ServerProcess[]];
  nginx: TestNginx;
  /** Stops the instances still running (SIGTERM, a graceful shutdown) and nginx. */
  stop(): Promise<void>;
}

/**
 * Spawns `count` instances with `env` (`REDIS_URL`, `DATABASE_URL`…), puts
 * nginx with `deploy/nginx.conf` in front of them, and resolves once every
 * instance is ready (`/readyz`, asked directly, as a balancer's probe would).
 */
export async function startNginxCluster(env: Record<string, string>, count = 2): Promise<NginxCluster> {
  const instances = (await Promise.all(Array.from({ length: Math.max(2, count) }, () => spawnServer(env)))) as NginxCluster['instances'];
  const nginx = await startNginx(instances.map((instance) => Number(new URL(instance.baseUrl).port)));
  for (const instance of instances) {
    await waitUntil(
      async () => (await fetch(`${instance.baseUrl}${apiRoutes.ready.path()}`)).status === 200,
      'the instance is ready',
      10_000,
    );
  }
  return {
    instances,
    nginx,
    async stop() {
      for (const instance of instances) {
        if (instance.child.exitCode !== null) continue;
        instance.child.kill('SIGTERM');
        await instance.exited;
      }
      await nginx.stop();
    },
  };
}
