import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { IDEMPOTENCY_PRUNE_LOCK_KEY } from '../database/lifecycle/advisory-lock';
import { TransactionRunner } from '../database/runtime/transaction-runner';
import { describePostgresError } from '../lib/postgres-error';

/** Rows per DELETE: each batch is its own short transaction, so row locks never pile up. */
export const PRUNE_BATCH_SIZE = 500;
/** How often each instance offers to prune (jittered); one of them gets the lock each time. */
const PRUNE_INTERVAL_MS = 60_000;
/** At most this many batches per round, so one round never runs for long. */
const MAX_BATCHES = 200;

/**
 * Expired rows, in no order, that no write holds right now (SKIP LOCKED: a write taking over an
 * expired key is not waited for). Every expired row goes, so no ORDER BY: the BRIN index on
 * expires_at names the block ranges that may hold some, and LIMIT stops the scan at a batch. By
 * ctid, so the DELETE is one TID scan.
 */
const DELETE_EXPIRED = `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED))`;

/**
 * Removes expired idempotency keys in small batches. Every instance runs it; a transaction-scoped
 * advisory lock (fine behind PgBouncer in transaction mode) lets one instance at a time delete a
 * batch, and the others skip that batch rather than wait.
 */
@Injectable()
export class IdempotencyPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('IdempotencyPruner');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly transactions: TransactionRunner) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: batches until one comes back short. Answers the rows deleted. */
  async pruneExpired(batchSize = PRUNE_BATCH_SIZE): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES && !this.stopped; batch++) {
      const deleted = await this.pruneBatch(batchSize);
      if (deleted === undefined) break;
      total += deleted;
      if (deleted < batchSize) break;
    }
    return total;
  }

  /** Rows deleted, or undefined when another instance holds the lock. */
  async pruneBatch(batchSize = PRUNE_BATCH_SIZE): Promise<number | undefined> {
    return this.transactions.run(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [IDEMPOTENCY_PRUNE_LOCK_KEY],
      );
      if (!locked) return undefined;
      // DELETE answers [rows, rowCount] through TypeORM's query().
      const [, deleted] = await manager.query<[unknown[], number]>(DELETE_EXPIRED, [batchSize]);
      return deleted;
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.running = this.pruneExpired()
          .then((deleted) => deleted && this.logger.log(`removed ${deleted} expired idempotency keys`))
          .catch((error: unknown) =>
            this.logger.warn(`pruning expired idempotency keys failed: ${describePostgresError(error)}`),
          )
          .finally(() => this.schedule());
      },
      PRUNE_INTERVAL_MS * (0.5 + Math.random()),
    );
    this.timer.unref();
  }
}
