import type { Migration } from './migration.ts';
import { DatabaseStartError } from './database-start-error.ts';
import { DatabaseUnavailable } from './database-unavailable.ts';
import { redactDatabaseUrl } from './redact-database-url.ts';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import type { PostgresPool, SqlRunner } from './postgres-pool.ts';

/**
 * The key of the advisory lock that migrations hold: any constant, the same
 * in every instance of this server (it spells "rtwmig" in ASCII, and fits a
 * JavaScript number exactly).
 */
const MIGRATION_LOCK_KEY = 0x7274776d6967;

/**
 * Checks that the database answers and brings its schema up to date: what an
 * instance does before it serves.
 *
 * @returns how many migrations were applied.
 * @throws {DatabaseStartError} naming the database (password masked) and the
 *   reason: unreachable, refused login, a schema newer than this code, a
 *   migration that failed.
 */
export async function preparePostgres(
  pool: PostgresPool,
  url: string,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  try {
    return await migratePostgres(pool, migrations);
  } catch (error) {
    const cause = error instanceof DatabaseUnavailable ? error.cause : error;
    throw new DatabaseStartError(`Cannot use the PostgreSQL database ${redactDatabaseUrl(url)} (DATABASE_URL): ${reasonOf(cause)}`, {
      cause,
    });
  }
}

/**
 * Applies the migrations the database has not had yet, each in a transaction
 * with its row in `schema_migrations`. Each transaction first takes a
 * transaction-scoped advisory lock, so two instances starting at once cannot
 * both run a migration: the second waits, then finds the version bumped and
 * moves on (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 *
 * @returns how many were applied.
 * @throws {Error} when the database is newer than this code (a downgrade).
 */
export async function migratePostgres(pool: PostgresPool, migrations: readonly Migration[] = POSTGRES_MIGRATIONS): Promise<number> {
  let applied = 0;
  for (;;) {
    const appliedOne = await pool.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      // Under the lock: two instances creating it at once could otherwise collide in the catalog.
      await sql.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY,
           description text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const version = await postgresSchemaVersion(sql);
      if (version > migrations.length) {
        throw new Error(
          `The database has schema version ${version}; this server knows ${migrations.length}. Run a newer server, or use another DATABASE_URL.`,
        );
      }
      const next = migrations[version];
      if (!next) return false;
      // Without parameters pg uses the simple query protocol, which runs a migration's several statements.
      await sql.query(next.sql);
      await sql.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [version + 1, next.description]);
      return true;
    });
    if (!appliedOne) return applied;
    applied += 1;
  }
}

/** The schema version of the database: how many migrations it has had (0 for a new one). */
export async function postgresSchemaVersion(sql: SqlRunner): Promise<number> {
  const [table] = await sql.query<{ name: string | null }>("SELECT to_regclass('schema_migrations')::text AS name");
  if (!table?.name) return 0;
  const [row] = await sql.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
  return row?.version ?? 0;
}

/** One line about `error`: Node's refused dual-stack connect is an AggregateError with an empty message. */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return error.errors.map((each: unknown) => (each instanceof Error ? each.message : String(each))).join('; ');
  }
  return error instanceof Error ? error.message : String(error);
}
