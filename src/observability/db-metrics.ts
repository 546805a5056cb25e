import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { poolOf as typeormPool } from '../lib/internals/typeorm';
import type { Metrics } from './metrics';

interface PoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  on(event: 'acquire', listener: (client: QueryClient) => void): unknown;
}
interface QueryClient {
  query: (...args: unknown[]) => unknown;
}

/** TypeORM's pg Pool, once the DataSource is initialised. */
function poolOf(dataSource: DataSource): PoolLike | undefined {
  return typeormPool(dataSource);
}

/** SELECT, INSERT, BEGIN...: the statement's first keyword, which the app's own SQL bounds (no regular expression). */
function operationName(query: unknown): string {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') return 'OTHER';
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 32) start++;
  let end = start;
  while (end < text.length && isLetter(text.charCodeAt(end))) end++;
  return end === start ? 'OTHER' : text.slice(start, end).toUpperCase();
}

const isLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/**
 * The pool's connection gauges, read at scrape time, and the duration of every statement the
 * pool's clients run (timed on each client the first time the pool hands it out).
 */
export function observeDatabase(metrics: Metrics, dataSource: DataSource): { attach(): void } {
  new Gauge({
    name: 'db_client_connection_count',
    help: 'Connections in the pool, by state (idle or used).',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const pool = poolOf(dataSource);
      this.set({ state: 'idle' }, pool?.idleCount ?? 0);
      this.set({ state: 'used' }, pool ? pool.totalCount - pool.idleCount : 0);
    },
  });
  new Gauge({
    name: 'db_client_connection_pending_requests',
    help: 'Requests waiting for a connection from the pool.',
    registers: [metrics.registry],
    collect() {
      this.set(poolOf(dataSource)?.waitingCount ?? 0);
    },
  });

  // Returned, not bound to a name: the bundle's keepNames would name each one as it is made.
  const observeFrom = (operation: string, start: number) => () =>
    metrics.dbDuration.child('postgresql', operation).observe((performance.now() - start) / 1000);
  const timed = new WeakSet<QueryClient>();
  const time = (client: QueryClient) => {
    if (timed.has(client)) return;
    timed.add(client);
    const query = client.query;
    // Every statement passes here: no rest array and one callback per call (docs/decisions/0004-metrics-histogram.md).
    client.query = function timedQuery(text: unknown) {
      const start = performance.now();
      // eslint-disable-next-line prefer-rest-params -- forwards pg's optional arguments as given
      const result = query.apply(client, arguments as unknown as unknown[]);
      if (result instanceof Promise) {
        const settled = observeFrom(operationName(text), start);
        result.then(settled, settled);
      }
      return result;
    };
  };
  return {
    /** Call once the DataSource is initialised (its pool exists from then on). */
    attach: () => poolOf(dataSource)?.on('acquire', time),
  };
}
