import { Client } from 'pg';

/** Advisory lock keys of this service in its own database. */
export const SCHEMA_LOCK_KEY = 0x626b_0001;

/** How often a waiting instance tries the lock again. */
const POLL_MS = 50;

/**
 * Runs `work` while holding a session-level advisory lock on a dedicated connection, so
 * N instances doing the same work take turns. The connection (and lock) is closed on every path.
 *
 * Waiters poll with pg_try_advisory_lock instead of blocking in pg_advisory_lock: a blocked
 * statement holds a snapshot, and CREATE INDEX CONCURRENTLY in the holder's migration waits for
 * every older snapshot, so the two would wait on each other until a timeout.
 */
export async function withAdvisoryLock<T>(
  url: URL,
  key: number,
  options: { applicationName: string; connectTimeoutMs: number; lockTimeoutMs: number },
  work: () => Promise<T>,
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
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      if (rows[0].locked) break;
      if (Date.now() >= giveUpAt) {
        // The SQLSTATE PostgreSQL gives a lock wait that timed out, so callers classify it alike.
        throw Object.assign(new Error(`canceling statement due to lock timeout (advisory lock ${key})`), {
          code: '55P03',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return await work();
  } finally {
    await client.end().catch(() => undefined);
  }
}
