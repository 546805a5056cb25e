/**
 * The TypeORM CLI's data source (npm run db:migrate, db:revert, db:migration:*), built by the same
 * options builder as the app. Without DATABASE_URL it targets the embedded PostgreSQL,
 * which must be running (npm start in another terminal).
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import { DataSource } from 'typeorm';
import { buildDatabaseConfig } from './src/config/database.config';
import { applySecretFiles } from './src/config/secret-files';
import { buildDataSourceOptions } from './src/database/runtime/data-source-options';
import { DatabaseTarget } from './src/database/lifecycle/database-target';
import { checkPgInternals } from './src/lib/internals/pg';
import { checkPgPoolInternals } from './src/lib/internals/pg-pool';
import { checkTypeormInternals } from './src/lib/internals/typeorm';

// The CLI connects through the same internals as the app: an upgrade that removed one stops here, by name.
checkTypeormInternals();
checkPgInternals();
checkPgPoolInternals();

// The same rule as AppModule's ConfigModule: .env fills in what the environment leaves unset.
if (process.env.NODE_ENV !== 'test' && fs.existsSync('.env')) process.loadEnvFile('.env');

applySecretFiles(process.env);
const config = buildDatabaseConfig(process.env);
const target = new DatabaseTarget(config);

// Migrations run as the owner role (DATABASE_MIGRATION_URL), as the service's schema step does.
export default new DataSource(buildDataSourceOptions(config, target.migrationUrl));
