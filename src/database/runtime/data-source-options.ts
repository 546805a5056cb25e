import type { LoggerOptions, Logger as TypeOrmLogger } from 'typeorm';
import { ApiKey } from '../../auth/api-keys/api-key.entity';
import { Book } from '../../books/entities/book.entity';
import type { DatabaseConfig } from '../../config/database.config';
import { IdempotencyRecord } from '../../idempotency/idempotency-record.entity';
import type { PostgresDataSourceOptions } from '../../lib/internals/typeorm';
import { probeTargetOf, watchedClientClass } from './connection-watchdog';
import { InitialSchema1764100000000 } from '../migrations/1764100000000-InitialSchema';
import { TrigramSearchIndexes1795636407651 } from '../migrations/1795636407651-TrigramSearchIndexes';
import { BookSearchVector1796000000000 } from '../migrations/1796000000000-BookSearchVector';
import { BookSearchStatistics1796100000000 } from '../migrations/1796100000000-BookSearchStatistics';
import { BookWords1796200000000 } from '../migrations/1796200000000-BookWords';
import { ApiKeys1796567415928 } from '../migrations/1796567415928-ApiKeys';
import { TriggerFunctionsRunAsOwner1796567615189 } from '../migrations/1796567615189-TriggerFunctionsRunAsOwner';
import { IdempotencyKeys1796567730217 } from '../migrations/1796567730217-IdempotencyKeys';
import { BookAuthors1796568609659 } from '../migrations/1796568609659-BookAuthors';
import { IdempotencyKeyHash1796600000000 } from '../migrations/1796600000000-IdempotencyKeyHash';

/** Every entity, listed rather than globbed so the build, the CLI and the tests agree. */
export const ENTITIES = [Book, IdempotencyRecord, ApiKey];
export const MIGRATIONS = [
  InitialSchema1764100000000,
  TrigramSearchIndexes1795636407651,
  BookSearchVector1796000000000,
  BookSearchStatistics1796100000000,
  BookWords1796200000000,
  ApiKeys1796567415928,
  TriggerFunctionsRunAsOwner1796567615189,
  IdempotencyKeys1796567730217,
  BookAuthors1796568609659,
  IdempotencyKeyHash1796600000000,
];

/**
 * The one options builder for the app, the TypeORM CLI (ormconfig.ts) and the tests.
 * Schema changes never happen here (synchronize / migrationsRun are off): the bootstrap
 * applies them under an advisory lock.
 */
export function buildDataSourceOptions(
  config: DatabaseConfig,
  url: URL,
  logger?: TypeOrmLogger,
): PostgresDataSourceOptions {
  const logging: LoggerOptions = config.logging ? 'all' : ['error', 'warn', 'migration'];
  return {
    type: 'postgres',
    url: url.toString(),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    // Each migration in its own transaction, or none when it says `transaction = false` (CONCURRENTLY).
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+; no CREATE EXTENSION race at boot.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: config.applicationName,
    connectTimeoutMS: config.connectTimeoutMs,
    poolSize: config.poolMax,
    logging,
    logger,
    // pg-pool hands these to every pg Client. Directly connected, the timeouts are startup parameters
    // (session settings); a transaction-mode pooler refuses those, and gets them as role defaults instead
    // (session-defaults.ts). pg never names a prepared statement unless told to, which pooling needs.
    extra: {
      max: config.poolMax,
      connectionTimeoutMillis: config.connectTimeoutMs,
      ...(config.pooler === 'none' && {
        statement_timeout: config.statementTimeoutMs,
        idle_in_transaction_session_timeout: config.idleInTransactionTimeoutMs,
      }),
      keepAlive: true,
      // Fails a connect or query fast (503) when the server stops answering, instead of hanging. Behind a
      // pooler it probes PostgreSQL itself (DATABASE_DIRECT_URL): the pooler answers even when the server does not.
      Client: watchedClientClass({
        probeTimeoutMs: config.probeTimeoutMs,
        probeTarget: config.pooler === 'transaction' ? probeTargetOf(config.directUrl) : undefined,
      }),
    },
  };
}
