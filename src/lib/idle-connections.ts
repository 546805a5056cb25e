import type { DataSource } from 'typeorm';

interface PgPoolInternals {
  _idle?: { client: unknown }[];
  _remove?: (client: unknown) => void;
}

/**
 * Closes every idle pooled connection, so the next query opens a fresh one. Used after a
 * connection was found dead: backends die together (restart, failover, a kill of all of them),
 * and an idle connection whose backend is dying is not yet known dead, so a retry handed one
 * would fail again. pg-pool has no public call for this; its own shutdown path uses these.
 * Returns how many were closed (0 when the pool is not pg-pool's).
 */
export function discardIdleConnections(dataSource: DataSource): number {
  const pool = (dataSource.driver as { master?: PgPoolInternals }).master;
  if (!pool || !Array.isArray(pool._idle) || typeof pool._remove !== 'function') return 0;
  const idle = pool._idle.slice();
  for (const item of idle) pool._remove(item.client);
  return idle.length;
}
