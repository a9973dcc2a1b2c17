// node-postgres (`pg`): the most used and maintained PostgreSQL client for
// Node, pure JavaScript, with a pool and parameterised queries. `postgres`
// (postgres.js) is faster, but this server makes few queries per request.
import { Pool, TypeOverrides, type PoolClient } from 'pg';
import { DatabaseUnavailable, isUnreachable } from './database-unavailable.ts';

/** Runs parameterised SQL: the pool itself, or one connection inside a transaction. */
export interface SqlRunner {
  /** The rows of `sql` with `$1…$n` bound to `values` (never concatenated into the text). */
  query<Row>(sql: string, values?: readonly unknown[]): Promise<Row[]>;
}

export interface PostgresPoolOptions {
  /**
   * Told when the database stops answering (once, not again until a query
   * succeeds), and of idle connections the server closed.
   */
  onError: (error: unknown) => void;
}

/** How long a query waits for a connection before the request gets a 503 (pg waits forever by default). */
const CONNECT_TIMEOUT_MS = 5_000;

/** PostgreSQL's type oid of `bigint` (`SELECT oid FROM pg_type WHERE typname = 'int8'`). */
const INT8_OID = 20;

/**
 * A pool of connections to one PostgreSQL database. A query that cannot reach
 * the server rejects with {@link DatabaseUnavailable} (a 503 for the client);
 * any other error (a bug in the SQL, a broken constraint) is passed on as is.
 */
export class PostgresPool implements SqlRunner {
  readonly #pool: Pool;
  readonly #onError: (error: unknown) => void;
  #closed: Promise<void> | undefined;
  /** False until a query succeeds, and again from a failure to the next success: an outage is reported once. */
  #reachable = false;

  constructor(url: string, { onError }: PostgresPoolOptions) {
    // The stores' bigints are milliseconds since the epoch, far below 2^53, so
    // they read as numbers (pg reads int8 as a string, to be safe for any value).
    const types = new TypeOverrides();
    types.setTypeParser(INT8_OID, Number);
    this.#pool = new Pool({
      connectionString: url,
      // pg's default of 10 connections is plenty for a few queries per request.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'realtime-workbook',
      types,
    });
    this.#onError = onError;
    // Without a listener, an idle connection the server closes (a restart, a failover) would crash the process.
    this.#pool.on('error', (error) => (isUnreachable(error) ? this.#lost(error) : onError(error)));
  }

  async query<Row>(sql: string, values: readonly unknown[] = []): Promise<Row[]> {
    try {
      const result = await this.#pool.query(sql, [...values]);
      this.#reachable = true;
      return result.rows as Row[];
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Runs `work` on one connection between `BEGIN` and `COMMIT` (READ
   * COMMITTED), rolling back if it throws. Rows it locks (`FOR UPDATE`, an
   * upsert) stay locked until the end, which is what makes a
   * read-merge-write safe against another instance doing the same.
   */
  async transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#translate(error);
    }
    const runner: SqlRunner = {
      query: async <Row>(sql: string, values: readonly unknown[] = []) => (await client.query(sql, [...values])).rows as Row[],
    };
    try {
      await client.query('BEGIN');
      const result = await work(runner);
      await client.query('COMMIT');
      client.release();
      this.#reachable = true;
      return result;
    } catch (error) {
      // A connection that failed mid-transaction cannot roll back; releasing it with the error discards it.
      const broken = isUnreachable(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      client.release(broken ? (error as Error) : undefined);
      throw this.#translate(error);
    }
  }

  /** Closes every connection once the queries under way are done. Idempotent. */
  close(): Promise<void> {
    // pg throws if a pool is ended twice.
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }

  #translate(error: unknown): unknown {
    if (error instanceof DatabaseUnavailable || !isUnreachable(error)) return error;
    this.#lost(error);
    return new DatabaseUnavailable(error);
  }

  /** Reports the first sign of an outage only (before the first success, the start reports it itself). */
  #lost(error: unknown): void {
    if (this.#reachable) this.#onError(error);
    this.#reachable = false;
  }
}
