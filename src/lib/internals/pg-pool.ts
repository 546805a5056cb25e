import * as path from 'node:path';
import { Client, Pool, type PoolConfig } from 'pg';
import { assertInternals, installedVersion, isFunction, packageDir } from './check';

interface PgPoolInternals {
  _idle?: { client: unknown }[];
  _remove?: (client: unknown) => void;
  Client?: unknown;
}

/**
 * Closes every idle connection of `pool`, so the next query opens a fresh one. pg-pool has no
 * public call for this; its own shutdown path uses these. Returns how many were closed (0 without
 * a pool, or when it is not pg-pool's).
 */
export function discardIdleConnections(pool: Pool | undefined): number {
  const internals = pool as PgPoolInternals | undefined;
  if (!internals || !Array.isArray(internals._idle) || typeof internals._remove !== 'function') return 0;
  const idle = internals._idle.slice();
  for (const item of idle) internals._remove(item.client);
  return idle.length;
}

/** pg-pool as pg loads it (pg's Pool is pg-pool's class). */
function version(): string {
  const pg = packageDir('pg');
  return installedVersion('pg-pool', pg && path.join(pg, 'lib'));
}

class ProbeClient extends Client {}

/** A pool that never connects: pg-pool opens nothing until a client is asked for. */
export function checkPgPoolInternals(makePool: (config: PoolConfig) => unknown = (config) => new Pool(config)): void {
  const pool = makePool({ Client: ProbeClient, max: 1 }) as PgPoolInternals;
  assertInternals('pg-pool', version, 'pg-pool.ts', {
    'Pool#_idle': () => Array.isArray(pool._idle),
    'Pool#_remove': () => isFunction(pool._remove),
    'the Client option': () => pool.Client === ProbeClient,
  });
}
