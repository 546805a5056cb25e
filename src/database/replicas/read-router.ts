import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { errorCode, isTransientConnectionError } from '../../lib/postgres-error';
import { ConsistencyScope } from './consistency-scope';
import { PRIMARY } from './read-source';
import { Replica, ReplicaSet } from './replica-set';

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
  ) {}

  async query<T>(sql: string, params: unknown[] = []): Promise<T> {
    const scope = ConsistencyScope.current();
    const candidates = this.replicas.eligible(scope?.minLsn);
    // The replica this request already read from first, so its statements see one snapshot source.
    const pinned = candidates.findIndex((replica) => replica.name === scope?.servedBy);
    const start = pinned >= 0 ? pinned : candidates.length ? this.turn++ % candidates.length : 0;
    for (let i = 0; i < candidates.length; i++) {
      const replica = candidates[(start + i) % candidates.length];
      try {
        const rows = await this.onReplica<T>(replica, sql, params);
        if (scope) scope.servedBy = replica.name;
        return rows;
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        if (isTransientConnectionError(error)) this.replicas.markDown(replica, reason);
        // E.g. 40001 "canceling statement due to conflict with recovery": the primary has no such conflict.
        else this.logger.debug(`read failed on ${replica.name} (${errorCode(error) ?? reason}); trying elsewhere`);
      }
    }
    const rows = (await this.dataSource.query(sql, params)) as T;
    if (scope) scope.servedBy = PRIMARY;
    return rows;
  }

  /**
   * connect() and the promise form of query(), not pool.query(): pg-pool calls the callback form,
   * which the connection watchdog cannot see, so a read on a frozen replica would wait forever.
   */
  private async onReplica<T>(replica: Replica, sql: string, params: unknown[]): Promise<T> {
    const client = await replica.pool.connect();
    let failure: Error | undefined;
    try {
      return (await client.query(sql, params)).rows as T;
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      // With an error the connection is discarded rather than pooled.
      client.release(failure && isTransientConnectionError(failure) ? failure : undefined);
    }
  }
}
