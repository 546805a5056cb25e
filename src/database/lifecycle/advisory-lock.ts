import { Client } from 'pg';

/** Advisory lock keys of this service in its own database. */
export const SCHEMA_LOCK_KEY = 0x626b_0001;
/** One instance at a time prunes expired idempotency keys. */
export const IDEMPOTENCY_PRUNE_LOCK_KEY = 0x626b_0002;
// 0x626b_0003 marked an idempotency key in flight until record 0023; not reused, for instances still running it.

/** How often a waiting instance tries the lock again. */
const POLL_MS = 50;

/**
 * Runs `work(client)` while holding a transaction-scoped advisory lock (`pg_advisory_xact_lock`)
 * inside one transaction on a dedicated connection, so N instances doing the same work take turns.
 * Scoped to the transaction, the lock ends with COMMIT/ROLLBACK or with the connection: none is left
 * on a pooled server connection even when `url` goes through PgBouncer in transaction mode.
 * `work` may use `client` for SQL that should commit with the lock (it is the same transaction);
 * the connection is closed on every path.
 *
 * Waiters poll, each try in a transaction of its own, instead of blocking in pg_advisory_xact_lock:
 * a blocked statement holds a snapshot, and CREATE INDEX CONCURRENTLY in the holder's migration
 * waits for every transaction that held an older one, so the two would wait on each other until a
 * timeout.
 */
export async function withAdvisoryLock<T>(
  url: URL,
  key: number,
  options: { applicationName: string; connectTimeoutMs: number; lockTimeoutMs: number },
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    connectionString: url.toString(),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: `${options.applicationName}:schema-lock`,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const giveUpAt = Date.now() + Math.max(0, options.lockTimeoutMs);
    for (;;) {
      await client.query('BEGIN');
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [key]);
      if (rows[0].locked) break;
      // Each failed try ends its transaction at once: CREATE INDEX CONCURRENTLY waits for whole
      // transactions that held a snapshot, so a waiter must not keep one open across polls.
      await client.query('ROLLBACK');
      if (Date.now() >= giveUpAt) {
        // The SQLSTATE PostgreSQL gives a lock wait that timed out, so callers classify it alike.
        throw Object.assign(new Error(`canceling statement due to lock timeout (advisory lock ${key})`), {
          code: '55P03',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    // The work (migrations) is not bounded by the role's own timeouts, which would otherwise end
    // this transaction while it holds the lock.
    await client.query('SET LOCAL statement_timeout = 0; SET LOCAL idle_in_transaction_session_timeout = 0');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } finally {
    // Ending the connection rolls back whatever is still open, and the lock with it.
    await client.end().catch(() => undefined);
  }
}
