import type { QueryRunner } from 'typeorm';
import { DatabaseStartupError } from '../database.exception';
import { errorCode } from '../../lib/postgres-error';

/**
 * How long a migration statement may wait for a lock. Past it the migration fails (55P03)
 * instead of queueing: a DDL statement queued behind a long transaction would block every
 * later query on the table until it got its lock.
 */
export const MIGRATION_LOCK_TIMEOUT = '5s';

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Every migration's up() and down() run their statements through this (`npm run lint:migrations`
 * checks it). In a transactional migration the settings are SET LOCAL and end with it; in one
 * that runs outside a transaction (`transaction = false`) they are reset afterwards, since the
 * connection goes back to the pool. statement_timeout is lifted: a concurrent index build takes
 * as long as the table is big, and it blocks nobody meanwhile.
 */
export async function withLockTimeout(queryRunner: QueryRunner, migration: string, work: () => Promise<void>) {
  const local = queryRunner.isTransactionActive ? 'LOCAL ' : '';
  await queryRunner.query(`SET ${local}lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
  await queryRunner.query(`SET ${local}statement_timeout = 0`);
  try {
    await work();
  } catch (error) {
    if (errorCode(error) !== LOCK_NOT_AVAILABLE) throw error;
    throw new DatabaseStartupError(
      `migration ${migration} gave up after waiting ${MIGRATION_LOCK_TIMEOUT} for a lock (lock_timeout): a long ` +
        'transaction holds a conflicting lock (see pg_locks and pg_stat_activity); traffic was not blocked. ' +
        'Run it again once that transaction has ended.',
      { cause: error },
    );
  } finally {
    if (!local) {
      await queryRunner.query('RESET lock_timeout');
      await queryRunner.query('RESET statement_timeout');
    }
  }
}

/**
 * CREATE INDEX CONCURRENTLY IF NOT EXISTS, for a migration with `transaction = false`. A
 * concurrent build that failed (lock_timeout, a cancel, a duplicate) leaves an INVALID index
 * behind, which IF NOT EXISTS would keep forever (never used, still maintained on every write):
 * it is dropped, concurrently, and built again. Migrations run one at a time under the schema
 * advisory lock, so an invalid index here is never another session's build in progress.
 */
export async function createIndexConcurrently(
  queryRunner: QueryRunner,
  name: string,
  definition: string,
  options: { unique?: boolean } = {},
) {
  const [existing] = (await queryRunner.query(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  )) as { valid: boolean }[];
  if (existing && !existing.valid) await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(name)}`);
  const unique = options.unique ? 'UNIQUE ' : '';
  await queryRunner.query(`CREATE ${unique}INDEX CONCURRENTLY IF NOT EXISTS ${quoteIdent(name)} ${definition}`);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface BatchWalk {
  table: string;
  /** A unique, indexed column the batches walk in order (the primary key). */
  key: string;
  /** Where the walk starts: below every key. */
  start: string;
  batchSize?: number;
}

export interface Backfill extends BatchWalk {
  set: string;
  /** Which rows of a batch still need `set`. */
  where: string;
}

/**
 * Runs `write` once per batch of rows, for a migration with `transaction = false`: each batch is
 * one short statement that commits on its own, so row locks last one batch, and lock_timeout
 * bounds each wait. Batches walk the key's index, so each reads only its own rows (a repeated
 * `WHERE <column> IS NULL LIMIT n` would rescan the filled part of the table every time).
 * `write` is a data-modifying statement over the CTE `batch`, which holds the batch's key and
 * `columns`; `lockRows` reads the batch FOR SHARE (a row changed meanwhile is read as committed,
 * a deleted one skipped).
 */
export async function writeInBatches(
  queryRunner: QueryRunner,
  walk: BatchWalk & { columns?: string[]; lockRows?: boolean },
  write: string,
): Promise<void> {
  const table = quoteIdent(walk.table);
  const key = quoteIdent(walk.key);
  const columns = [key, ...(walk.columns ?? []).map(quoteIdent)].join(', ');
  const lock = walk.lockRows ? ' FOR SHARE' : '';
  let after: string | null = walk.start;
  while (after !== null) {
    const [row] = (await queryRunner.query(
      `WITH batch AS (SELECT ${columns} FROM ${table} WHERE ${key} > $1 ORDER BY ${key} LIMIT $2${lock}),
       written AS (${write} RETURNING 1)
       SELECT (SELECT ${key}::text FROM batch ORDER BY ${key} DESC LIMIT 1) AS last, (SELECT count(*) FROM written)::int AS written`,
      [after, walk.batchSize ?? 5000],
    )) as { last: string | null }[];
    // The linter's recording runner answers nothing: one batch is all it needs to see.
    after = row?.last ?? null;
  }
}

/** Fills existing rows in batches (writeInBatches): `set` on the rows of each batch that match `where`. */
export async function backfillInBatches(queryRunner: QueryRunner, fill: Backfill): Promise<void> {
  const table = quoteIdent(fill.table);
  const key = quoteIdent(fill.key);
  await writeInBatches(
    queryRunner,
    fill,
    `UPDATE ${table} SET ${fill.set} WHERE ${key} IN (SELECT ${key} FROM batch) AND (${fill.where})`,
  );
}
