import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../config/database.config';
import { buildDataSourceOptions } from '../runtime/data-source-options';
import { TypeOrmNestLogger } from '../runtime/typeorm-logger';

/**
 * Behind a transaction-mode pooler, schema work (sync or migrations) runs on a DataSource of its
 * own over DATABASE_DIRECT_URL: one connection whose startup parameters turn off the statement and
 * idle-in-transaction timeouts, which the role carries as defaults for requests, not for a migration
 * that builds an index. Waiting is bounded by the schema lock instead. Destroyed on every path.
 */
export async function withSchemaDataSource<T>(
  config: DatabaseConfig,
  directUrl: URL,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const own: DatabaseConfig = {
    ...config,
    pooler: 'none',
    poolMax: 1,
    applicationName: `${config.applicationName}:schema`,
  };
  const options = buildDataSourceOptions(own, directUrl, new TypeOrmNestLogger(config.logging));
  // pg leaves a zero timeout out of the startup packet, so the role default would apply: say 0 explicitly.
  const extra = {
    ...(options.extra as Record<string, unknown>),
    statement_timeout: undefined,
    idle_in_transaction_session_timeout: undefined,
  };
  const dataSource = new DataSource({
    ...options,
    extra: { ...extra, options: '-c statement_timeout=0 -c idle_in_transaction_session_timeout=0' },
  });
  try {
    await dataSource.initialize();
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
  }
}
