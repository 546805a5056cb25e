import { Client } from 'pg';

/** Advisory lock keys of this service in its own database. */
export const SCHEMA_LOCK_KEY = 0x626b_0001;

/**
 * Runs `work` while holding a session-level advisory lock on a dedicated connection, so
 * N instances doing the same work take turns. The connection (and lock) is closed on every path.
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
    await client.query(`SET lock_timeout = ${Math.max(0, Math.floor(options.lockTimeoutMs))}`);
    await client.query('SELECT pg_advisory_lock($1)', [key]);
    return await work();
  } finally {
    await client.end().catch(() => undefined);
  }
}
