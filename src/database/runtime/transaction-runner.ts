import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, QueryRunner, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { databaseConfig } from '../../config/database.config';
import { DatabaseUnavailableError, WriteOutcomeUnknownError } from '../../lib/database-unavailable.exception';
import { clientOf, type IsolationLevel, releaseQueryRunner } from '../../lib/internals/typeorm';
import { errorCode, isStalePreparedStatement, isTransientConnectionError, SqlState } from '../../lib/postgres-error';
import { noteCommitLsn } from '../replicas/commit-lsn';
import { plainQuery } from './plain-query';

export interface TransactionOptions {
  isolation?: IsolationLevel;
  /**
   * Whole-unit attempts on serialization failures and deadlocks (40001, 40P01), and after a prepared
   * statement went stale (isStalePreparedStatement: the retry prepares nothing).
   */
  maxAttempts?: number;
}

const RETRYABLE = new Set<string>([SqlState.serializationFailure, SqlState.deadlockDetected]);

/**
 * The one place that opens transactions (and the only caller of createQueryRunner()).
 * Connects, starts, commits; rolls back only what is open; always releases, passing the
 * error when the connection broke so the pool discards it; retries the whole unit on
 * 40001/40P01 a bounded number of times.
 *
 * A `run` inside the work of `runShared` joins that transaction instead of opening its own, so a
 * unit that wraps a service's write (an idempotency key's record) commits with it.
 */
@Injectable()
export class TransactionRunner {
  private readonly logger = new Logger('Transaction');

  private readonly shared = new AsyncLocalStorage<EntityManager>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(databaseConfig.KEY) database: Pick<ConfigType<typeof databaseConfig>, 'pooler'>,
  ) {
    this.prepares = database.pooler === 'none';
  }

  /** Whether a named statement is prepared: only where a connection is one server session. */
  private readonly prepares: boolean;

  /** The units retried after a stale prepared statement: their statements go unnamed. */
  private readonly unprepared = new WeakSet<QueryRunner>();

  /**
   * Like `run`, and every `run` called from `work` joins this transaction: its work runs on the same
   * manager, its options are ignored, and a retry after 40001/40P01 repeats the whole of `work`.
   */
  runShared<T>(work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.run((manager) => this.shared.run(manager, () => work(manager)), options);
  }

  /** The manager of the `runShared` transaction this call runs in, if any. */
  joined(): EntityManager | undefined {
    return this.shared.getStore();
  }

  /**
   * One statement on the connection of `manager`'s transaction, through pg itself: TypeORM's
   * query() adds a broadcaster, a QueryResult and several promises per statement (record 0021).
   * With `name`, a prepared statement: parsed once per connection, its plan kept. Only with
   * DB_POOLER=none (else the name is ignored): a pooler in transaction mode may hand the next
   * transaction another server session.
   */
  async query<T>(manager: EntityManager, sql: string, params: unknown[], name?: string): Promise<T[]> {
    const queryRunner = manager.queryRunner;
    if (!queryRunner) throw new Error('TransactionRunner.query needs the manager of a transaction');
    // As TypeORM's query() does: a released runner's client is back in the pool, maybe in another transaction.
    if (queryRunner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    const client = await clientOf(queryRunner);
    const prepared = name && this.prepares && !this.unprepared.has(queryRunner);
    const statement = prepared ? { name, text: sql, values: params } : { text: sql, values: params };
    return plainQuery(this.dataSource, sql, params, async () => (await client.query(statement)).rows as T[]);
  }

  async run<T>(work: (manager: EntityManager) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const joined = this.shared.getStore();
    if (joined) return work(joined);
    const maxAttempts = options.maxAttempts ?? 3;
    let unprepared = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work, options.isolation, unprepared);
      } catch (error) {
        const code = errorCode(error);
        if (isStalePreparedStatement(error) && !unprepared) {
          this.logger.warn('a column a prepared statement returns changed type; retrying on a new connection');
          unprepared = true;
          continue;
        }
        if (!code || !RETRYABLE.has(code) || attempt >= maxAttempts) throw error;
        this.logger.debug(`retrying transaction after ${code} (attempt ${attempt} of ${maxAttempts})`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      }
    }
  }

  private async once<T>(
    work: (manager: EntityManager) => Promise<T>,
    isolation: IsolationLevel | undefined,
    unprepared: boolean,
  ): Promise<T> {
    let queryRunner: QueryRunner;
    try {
      queryRunner = this.dataSource.createQueryRunner();
      if (unprepared) this.unprepared.add(queryRunner);
      await queryRunner.connect();
    } catch (error) {
      throw isTransientConnectionError(error) ? new DatabaseUnavailableError(undefined, { cause: error }) : error;
    }
    let broken: Error | undefined;
    let committing = false;
    try {
      await queryRunner.startTransaction(isolation);
      const result = await work(queryRunner.manager);
      committing = true;
      await queryRunner.commitTransaction();
      broken = await noteCommitLsn(queryRunner);
      return result;
    } catch (error) {
      // TypeORM releases the runner itself when its connection fails between two of our queries.
      let failure =
        queryRunner.isReleased && !isTransientConnectionError(error)
          ? new DatabaseUnavailableError(undefined, { cause: error })
          : error;
      // Lost before COMMIT went out, the transaction was rolled back; lost after, nobody knows.
      if (committing && isTransientConnectionError(failure)) failure = new WriteOutcomeUnknownError({ cause: error });
      // A stale prepared statement stays stale on this connection: it is not pooled again.
      if (isTransientConnectionError(failure) || isStalePreparedStatement(failure)) broken = failure as Error;
      if (queryRunner.isTransactionActive && !broken) {
        await queryRunner.rollbackTransaction().catch((rollbackError: unknown) => {
          broken = rollbackError as Error;
        });
      }
      throw failure;
    } finally {
      await this.release(queryRunner, broken);
    }
  }

  /** A broken connection must not go back to the pool: pass the error so pg-pool discards it. */
  private async release(queryRunner: QueryRunner, broken?: Error): Promise<void> {
    await releaseQueryRunner(queryRunner, broken).catch(() => undefined);
  }
}
