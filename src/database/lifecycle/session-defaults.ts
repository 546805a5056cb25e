import type { Client } from 'pg';
import { quoteIdentifier } from './database-name';

export interface SessionTimeouts {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/**
 * Behind a transaction-mode pooler the timeouts cannot be startup parameters (PgBouncer refuses
 * them with 08P01) nor plain SETs (they would stay on a pooled server connection that another
 * client gets next). They become defaults of this role in this database instead, so every server
 * connection the pooler opens for it starts with them: transactions and single autocommit reads
 * alike. Runs on the direct connection inside the schema lock's transaction, since concurrent
 * ALTER ROLE on the same row fails ("tuple concurrently updated").
 * Returns true when something changed.
 */
export async function applyRoleTimeouts(client: Client, database: string, timeouts: SessionTimeouts): Promise<boolean> {
  const wanted: Record<string, string> = {
    statement_timeout: String(Math.floor(timeouts.statementTimeoutMs)),
    idle_in_transaction_session_timeout: String(Math.floor(timeouts.idleInTransactionTimeoutMs)),
  };
  const current = await client.query<{ setconfig: string[] | null }>(
    `SELECT s.setconfig FROM pg_db_role_setting s
       JOIN pg_database d ON d.oid = s.setdatabase
      WHERE d.datname = $1 AND s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
    [database],
  );
  const have = new Map(
    (current.rows[0]?.setconfig ?? []).map((entry) => [
      entry.slice(0, entry.indexOf('=')),
      entry.slice(entry.indexOf('=') + 1),
    ]),
  );
  let changed = false;
  for (const [name, value] of Object.entries(wanted)) {
    if (have.get(name) === value) continue;
    // ALTER ROLE takes no bind parameters: the name is a fixed identifier, the value an integer we formatted.
    await client.query(`ALTER ROLE CURRENT_USER IN DATABASE ${quoteIdentifier(database)} SET ${name} = ${value}`);
    changed = true;
  }
  return changed;
}
