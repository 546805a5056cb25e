import type { QueryRunner } from 'typeorm';
import { isTransientConnectionError } from '../../lib/postgres-error';
import { ConsistencyScope } from './consistency-scope';
import { parseLsn } from './lsn';
import { PRIMARY } from './read-source';

/** No replica ever replays this far, so a read presenting it always goes to the primary. */
const PRIMARY_ONLY = (1n << 64n) - 1n;

/**
 * Called by the transaction helper right after COMMIT, on the same connection, inside a writing
 * HTTP request. The WAL insert position read now lies at or past the end of the commit record
 * (pg_current_wal_lsn() before COMMIT would not: the commit record comes after it), so a
 * replica whose pg_last_wal_replay_lsn() has reached it sees the write.
 *
 * The write is committed whatever happens here: a failure must not fail the request. The
 * request then gets a token no replica reaches, sending its reads to the primary. Returns the
 * error when the connection broke, so the helper discards it instead of pooling it.
 */
export async function noteCommitLsn(queryRunner: QueryRunner): Promise<Error | undefined> {
  const scope = ConsistencyScope.current();
  if (!scope) return undefined;
  if (!scope.write) {
    // A read that needed a transaction (planner settings): it ran on the primary, like every transaction.
    scope.servedBy = PRIMARY;
    return undefined;
  }
  if (!scope.tokens) return undefined;
  try {
    const [row] = (await queryRunner.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')) as { lsn: string }[];
    ConsistencyScope.noteCommit(parseLsn(row.lsn) ?? PRIMARY_ONLY);
    return undefined;
  } catch (error) {
    ConsistencyScope.noteCommit(PRIMARY_ONLY);
    return isTransientConnectionError(error) ? (error as Error) : undefined;
  }
}
