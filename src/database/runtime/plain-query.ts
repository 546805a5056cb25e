import { DatabaseError } from 'pg';
import { type DataSource, QueryFailedError } from 'typeorm';

/**
 * A statement sent through pg itself, not a TypeORM QueryRunner, keeping what the runner did that
 * matters: the query log, and a failed statement surfaces as TypeORM's QueryFailedError, which the
 * problem mapping reads. `send` runs it.
 */
export async function plainQuery<T>(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
  send: () => Promise<T>,
): Promise<T> {
  const logger = dataSource.logger;
  logger.logQuery(sql, params);
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    logger.logQueryError(error, sql, params);
    throw new QueryFailedError(sql, params, error);
  }
}
