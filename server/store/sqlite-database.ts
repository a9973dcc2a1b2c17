import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Migration } from './migration.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
import { immediateTransaction } from './sqlite-transaction.ts';

/** The file name of the database inside `DATA_DIR`. */
export const DATABASE_FILE = 'workbook.sqlite';

/** `DATA_DIR` value that keeps the database in memory (tests; nothing survives a restart). */
export const IN_MEMORY = ':memory:';

/**
 * Opens (creating if needed) the workbook's SQLite database in `dataDir`
 * (`<dataDir>/workbook.sqlite`, or in memory for {@link IN_MEMORY}) and
 * brings its schema up to date.
 *
 * - WAL journal: readers do not block the writer, and a crash loses at most
 *   the last transactions, never the file (https://sqlite.org/wal.html).
 *   `synchronous=NORMAL` is the setting SQLite recommends with WAL.
 * - `busy_timeout`: another process holding the write lock (a second
 *   instance on the same file) makes a write wait up to 5 s instead of failing.
 * - `foreign_keys`: off by default in SQLite, for compatibility.
 *
 * @throws {Error} naming the path when the directory or file cannot be opened.
 */
export function openSqliteDatabase(dataDir: string, migrations: readonly Migration[] = SQLITE_MIGRATIONS): DatabaseSync {
  let location = IN_MEMORY;
  if (dataDir !== IN_MEMORY) {
    location = path.join(dataDir, DATABASE_FILE);
    try {
      makePrivate(dataDir, location);
    } catch (error) {
      throw new Error(`Cannot create DATA_DIR ${dataDir}: ${(error as Error).message}`, { cause: error });
    }
  }
  let database: DatabaseSync;
  try {
    database = new DatabaseSync(location);
  } catch (error) {
    throw new Error(`Cannot open the database ${location}: ${(error as Error).message}`, { cause: error });
  }
  try {
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    database.exec('PRAGMA busy_timeout = 5000');
    database.exec('PRAGMA foreign_keys = ON');
    migrateSqlite(database, migrations);
  } catch (error) {
    database.close();
    throw new Error(`Cannot prepare the database ${location}: ${(error as Error).message}`, { cause: error });
  }
  if (location !== IN_MEMORY) restrictFiles(location);
  return database;
}

/**
 * Learners' progress, names and workshop secrets' hashes are nobody else's:
 * the folder is 0700 and the database 0600, created so (never readable for
 * a moment) and tightened if an older version left them 0755/0644. SQLite
 * gives its `-wal` and `-shm` files the database file's mode. A shared
 * folder (sticky, like /tmp) or another user's is left as it is.
 */
function makePrivate(dataDir: string, location: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const folder = statSync(dataDir);
  const ours = process.getuid === undefined || folder.uid === process.getuid();
  if (ours && (folder.mode & 0o1000) === 0) chmodSync(dataDir, 0o700);
  if (!existsSync(location)) closeSync(openSync(location, 'a', 0o600));
  restrictFiles(location);
}

function restrictFiles(location: string): void {
  for (const file of [location, `${location}-wal`, `${location}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** The schema version of `database` (`PRAGMA user_version`): how many migrations it has had. */
export function sqliteSchemaVersion(database: DatabaseSync): number {
  const row = database.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

/**
 * Applies the migrations `database` has not had yet, each in a transaction
 * with its version bump. `BEGIN IMMEDIATE` takes the write lock first, so two
 * instances starting on one file cannot both run a migration: the second
 * waits, then sees the new version and skips it.
 *
 * @returns how many were applied.
 * @throws {Error} when the database is newer than this code (a downgrade).
 */
export function migrateSqlite(database: DatabaseSync, migrations: readonly Migration[] = SQLITE_MIGRATIONS): number {
  let applied = 0;
  for (;;) {
    const appliedOne = immediateTransaction(database, () => {
      const version = sqliteSchemaVersion(database);
      if (version > migrations.length) {
        throw new Error(
          `The database has schema version ${version}; this server knows ${migrations.length}. Run a newer server, or use another DATA_DIR.`,
        );
      }
      const next = migrations[version];
      if (!next) return false;
      database.exec(next.sql);
      // PRAGMA takes no parameters; the value is an integer computed here.
      database.exec(`PRAGMA user_version = ${version + 1}`);
      return true;
    });
    if (!appliedOne) return applied;
    applied += 1;
  }
}
