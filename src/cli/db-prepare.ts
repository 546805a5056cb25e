/**
 * `npm run db:prepare`: creates the database if it is missing, applies pending migrations and
 * exits — 0 on success, 1 with one line naming the problem. Meant for an init container or a
 * deploy step. It runs DatabaseLifecycle without HTTP, so it shares the app's retries, advisory
 * locks and error messages; without DATABASE_URL it prepares the embedded PostgreSQL.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import * as fs from 'node:fs';
import { AppLogger } from '../common/app-logger';
import { buildAppConfig } from '../config/app.config';
import { applySecretFiles } from '../config/secret-files';
import { StartupError } from '../lib/startup-error';
import { buildDatabaseConfig } from '../config/database.config';
import { DatabaseLifecycle } from '../database/lifecycle/database-lifecycle';
import { DatabaseTarget } from '../database/lifecycle/database-target';
import { describeError } from '../lib/describe-error';
import { checkDependencyInternals, DATABASE_CHECKS } from '../lib/internals';

const CONTEXT = 'DbPrepare';

export async function prepareDatabase(env: Record<string, string | undefined>): Promise<void> {
  // Always migrate, whatever DB_SCHEMA_MODE the replicas use (typically `none` behind this step).
  const config = buildDatabaseConfig({ ...env, DB_SCHEMA_MODE: 'migrate' });
  const target = new DatabaseTarget(config);
  for (const secret of target.secrets) AppLogger.addSecret(secret);
  const lifecycle = new DatabaseLifecycle(config, target);
  try {
    await lifecycle.onModuleInit();
  } finally {
    await lifecycle.onApplicationShutdown();
  }
}

async function main(): Promise<number> {
  // The same rule as AppModule's ConfigModule: .env fills in what the environment leaves unset.
  if (process.env.NODE_ENV !== 'test' && fs.existsSync('.env')) process.loadEnvFile('.env');
  let logger = AppLogger.forConfig({ logFormat: 'pretty', logLevel: 'log' });
  try {
    applySecretFiles(process.env);
    logger = AppLogger.forConfig(buildAppConfig(process.env));
    Logger.overrideLogger(logger);
    await checkDependencyInternals(DATABASE_CHECKS);
    await prepareDatabase(process.env);
    logger.log('Database prepared', CONTEXT);
    return 0;
  } catch (error) {
    const message = error instanceof StartupError ? error.message : AppLogger.scrub(describeError(error));
    logger.fatal(`db:prepare failed: ${message}`, CONTEXT);
    return 1;
  }
}

if (require.main === module) {
  // exitCode rather than exit(): a connection left open shows up as a hang, not as silence.
  void main().then((code) => (process.exitCode = code));
}
