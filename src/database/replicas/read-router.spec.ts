import type { DataSource } from 'typeorm';
import type { PoolerMode } from '../../config/database.config';
import { ReadRouter } from './read-router';
import type { ReplicaSet } from './replica-set';

/** A ReadRouter on a primary pool whose client records what it is asked to run; no replicas. */
function routerOn(pooler: PoolerMode) {
  const sent: unknown[][] = [];
  const client = {
    query: (...args: unknown[]) => (sent.push(args), Promise.resolve({ rows: [{ id: 1 }] })),
    release: () => undefined,
  };
  const dataSource = {
    driver: { master: { connect: () => Promise.resolve(client) } },
    logger: { logQuery: () => undefined, logQueryError: () => undefined },
  } as unknown as DataSource;
  const replicas = { eligible: () => [] } as unknown as ReplicaSet;
  return { router: new ReadRouter(dataSource, replicas, { pooler }), sent };
}

describe('ReadRouter on the primary', () => {
  it('sends a named read as a prepared statement on a direct connection', async () => {
    const { router, sent } = routerOn('none');
    await expect(router.query('SELECT $1', [7], 'probe')).resolves.toEqual([{ id: 1 }]);
    expect(sent).toEqual([[{ name: 'probe', text: 'SELECT $1', values: [7] }]]);
  });

  it('sends it unnamed behind a pooler in transaction mode, and an unnamed read as it is', async () => {
    const { router, sent } = routerOn('transaction');
    await router.query('SELECT $1', [7], 'probe');
    expect(sent).toEqual([['SELECT $1', [7]]]);
    const direct = routerOn('none');
    await direct.router.query('SELECT $1', [8]);
    expect(direct.sent).toEqual([['SELECT $1', [8]]]);
  });
});
