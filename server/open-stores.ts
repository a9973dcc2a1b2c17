import type { ServerConfig } from './config.ts';
import type { CodeStore } from './exercises/code-store.ts';
import { PostgresCodeStore } from './exercises/postgres-code-store.ts';
import { SqliteCodeStore } from './exercises/sqlite-code-store.ts';
import { PostgresVerifiedStore } from './exercises/postgres-verified-store.ts';
import { SqliteVerifiedStore } from './exercises/sqlite-verified-store.ts';
import type { VerifiedStore } from './exercises/verified-store.ts';
import { PostgresProgressStore } from './progress/postgres-progress-store.ts';
import type { ProgressStore } from './progress/progress-store.ts';
import { SqliteProgressStore } from './progress/sqlite-progress-store.ts';
import { PostgresWorkshopStore } from './workshops/postgres-workshop-store.ts';
import { SqliteWorkshopStore } from './workshops/sqlite-workshop-store.ts';
import type { WorkshopStore } from './workshops/workshop-store.ts';
import type { Migration } from './store/migration.ts';
import { preparePostgres } from './store/postgres-database.ts';
import { PostgresPool } from './store/postgres-pool.ts';
import { openSqliteDatabase } from './store/sqlite-database.ts';

/** The durable stores of one app, on one database. */
export interface Stores {
  readonly progress: ProgressStore;
  readonly workshops: WorkshopStore;
  /** The exercises the server verified, per learner. */
  readonly verified: VerifiedStore;
  /** The code learners write in the coded exercises. */
  readonly code: CodeStore;
  /**
   * Resolves once the database answers and its schema is up to date: nothing
   * may be served before. Rejects with a `DatabaseStartError`.
   */
  ready(): Promise<void>;
  /** Closes the database (SQLite) or waits for the pool's connections to close (PostgreSQL). */
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /** Told of database trouble after the start (PostgreSQL: an outage, a connection the server cut). */
  onError: (error: unknown) => void;
  /** The schema to bring the database to, instead of the engine's own list (tests). */
  migrations?: readonly Migration[];
}

/**
 * Opens the stores on PostgreSQL when `databaseUrl` is set, so that several
 * instances share them, and on SQLite in `dataDir` otherwise.
 *
 * SQLite opens and migrates here, synchronously, so a bad `DATA_DIR` throws at
 * once. PostgreSQL only builds its pool here: the first connection and the
 * migrations happen in `ready()`.
 */
export function openStores(
  { dataDir, databaseUrl }: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>,
  { onError, migrations }: OpenStoresOptions,
): Stores {
  if (databaseUrl !== undefined) {
    const pool = new PostgresPool(databaseUrl, { onError });
    const prepared = preparePostgres(pool, databaseUrl, migrations).then(() => {});
    // Reported through ready(); this only keeps an early failure from being an unhandled rejection.
    prepared.catch(() => {});
    return {
      progress: new PostgresProgressStore(pool),
      workshops: new PostgresWorkshopStore(pool),
      verified: new PostgresVerifiedStore(pool),
      code: new PostgresCodeStore(pool),
      ready: () => prepared,
      close: () => pool.close(),
    };
  }
  const database = openSqliteDatabase(dataDir, migrations);
  return {
    progress: new SqliteProgressStore(database),
    workshops: new SqliteWorkshopStore(database),
    verified: new SqliteVerifiedStore(database),
    code: new SqliteCodeStore(database),
    ready: async () => {},
    close: async () => {
      if (database.isOpen) database.close();
    },
  };
}
