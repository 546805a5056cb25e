import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../../config/database.config';
import { poolOf } from '../../lib/internals/typeorm';
import { errorCode, isStalePreparedStatement, isTransientConnectionError } from '../../lib/postgres-error';
import { plainQuery } from '../runtime/plain-query';
import { ConsistencyScope } from './consistency-scope';
import { PRIMARY } from './read-source';
import { ReplicaSet } from './replica-set';

/**
 * Runs a read-only statement on a replica when one may serve it, else on the primary. Which one
 * may: see ReplicaSet.eligible (health, lag and, for a request that presented a consistency
 * token, replay position). Replicas take turns. A read that fails on a replica is retried on the
 * next one and finally on the primary, so a replica that dies mid-request costs time, not a 5xx;
 * one that lost its connection is skipped until the monitor hears from it again. Only what runs
 * outside any transaction belongs here: writes and transactions stay on the primary.
 */
@Injectable()
export class ReadRouter {
  private readonly logger = new Logger('ReadRouter');
  private turn = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly replicas: ReplicaSet,
    @Inject(databaseConfig.KEY) database: Pick<ConfigType<typeof databaseConfig>, 'pooler'>,
  ) {
    this.prepares = database.pooler === 'none';
  }

  /** Whether a named read is prepared on the primary: only where a connection is one server session. */
  private readonly prepares: boolean;

  /**
   * With `name`, the statement is prepared once per primary connection with DB_POOLER=none, its plan
   * kept (record 0005); replicas, whose URLs may be poolers, always get it unnamed.
   */
  async query<T>(sql: string, params: unknown[] = [], name?: string): Promise<T> {
    const scope = ConsistencyScope.current();
    const candidates = this.replicas.eligible(scope?.minLsn);
    // The replica this request already read from first, so its statements see one snapshot source.
    const pinned = candidates.length ? candidates.findIndex((replica) => replica.name === scope?.servedBy) : -1;
    const start = pinned >= 0 ? pinned : candidates.length ? this.turn++ % candidates.length : 0;
    for (let i = 0; i < candidates.length; i++) {
      const replica = candidates[(start + i) % candidates.length];
      try {
        const rows = await onPool<T>(replica.pool, sql, params);
        if (scope) scope.servedBy = replica.name;
        return rows;
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        if (isTransientConnectionError(error)) this.replicas.markDown(replica, reason);
        // E.g. 40001 "canceling statement due to conflict with recovery": the primary has no such conflict.
        else this.logger.debug(`read failed on ${replica.name} (${errorCode(error) ?? reason}); trying elsewhere`);
      }
    }
    const rows = await this.onPrimary<T>(sql, params, this.prepares ? name : undefined);
    if (scope) scope.servedBy = PRIMARY;
    return rows;
  }

  /**
   * On the DataSource's own pool, without a TypeORM QueryRunner: one plain statement needs none of
   * its transaction state or subscribers, and making one per read was most of TypeORM's cost on a
   * GET by id. What the QueryRunner did that matters is kept: the query log, and a failed
   * statement surfaces as TypeORM's QueryFailedError, which the problem mapping reads.
   */
  private async onPrimary<T>(sql: string, params: unknown[], name: string | undefined): Promise<T> {
    const pool = poolOf(this.dataSource);
    if (!pool) return await this.dataSource.query(sql, params);
    return plainQuery(this.dataSource, sql, params, async () => {
      try {
        return await onPool<T>(pool, sql, params, name);
      } catch (error) {
        if (!name || !isStalePreparedStatement(error)) throw error;
        // That connection was discarded; the others are replaced as they meet the same error.
        this.logger.warn(`a column read by ${name} changed type; its connection was replaced`);
        return await onPool<T>(pool, sql, params);
      }
    });
  }
}

/**
 * connect() and the promise form of query(), not pool.query(): pg-pool calls the callback form,
 * which the connection watchdog cannot see, so a read on a frozen server would wait forever.
 */
async function onPool<T>(pool: Pool, sql: string, params: unknown[], name?: string): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const result = name ? await client.query({ name, text: sql, values: params }) : await client.query(sql, params);
    return result.rows as T;
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A broken connection, or one whose prepared statement went stale, is discarded rather than pooled.
    const discard = failure && (isTransientConnectionError(failure) || isStalePreparedStatement(failure));
    client.release(discard ? failure : undefined);
  }
}
