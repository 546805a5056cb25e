import type { DataSource, EntityManager } from 'typeorm';
import type { PoolerMode } from '../../config/database.config';
import { TransactionRunner } from './transaction-runner';

/** TransactionRunner.query on a transaction's manager whose pg client records what it is asked to run. */
async function statementSent(pooler: PoolerMode, name?: string): Promise<unknown[][]> {
  const sent: unknown[][] = [];
  const client = { query: (...args: unknown[]) => (sent.push(args), Promise.resolve({ rows: [] })) };
  const manager = { queryRunner: { isReleased: false, connect: () => Promise.resolve(client) } };
  const dataSource = { logger: { logQuery: () => undefined } } as unknown as DataSource;
  await new TransactionRunner(dataSource, { pooler }).query(
    manager as unknown as EntityManager,
    'SELECT $1',
    [1],
    name,
  );
  return sent;
}

describe('TransactionRunner.query', () => {
  it('prepares a named statement on a direct connection', async () => {
    await expect(statementSent('none', 'probe')).resolves.toEqual([
      [{ name: 'probe', text: 'SELECT $1', values: [1] }],
    ]);
  });

  it('drops the name behind a pooler in transaction mode, which may switch server sessions', async () => {
    await expect(statementSent('transaction', 'probe')).resolves.toEqual([[{ text: 'SELECT $1', values: [1] }]]);
    await expect(statementSent('none')).resolves.toEqual([[{ text: 'SELECT $1', values: [1] }]]);
  });
});
