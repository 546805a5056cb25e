import { registerAs } from '@nestjs/config';
import * as path from 'node:path';
import { databaseNameOf, withDatabase } from '../lib/url';
import { EnvReader } from './env-parsers';

export const SCHEMA_MODES = ['sync', 'migrate', 'none'] as const;
export type SchemaMode = (typeof SCHEMA_MODES)[number];
/** `transaction`: DATABASE_URL is a pooler (PgBouncer) in transaction mode, so no session state may cross it. */
export const POOLER_MODES = ['none', 'transaction'] as const;
export type PoolerMode = (typeof POOLER_MODES)[number];

export interface EmbeddedPostgresConfig {
  /** Data folder of the embedded cluster; kept across restarts. */
  dataDir: string;
  port: number;
  /** Database created in the embedded cluster for the service. */
  database: string;
}

export interface DatabaseConfig {
  /** Target database; undefined means "start the embedded PostgreSQL". */
  url?: URL;
  /** The same database reached without a pooler: create-database and the schema step use it. */
  directUrl?: URL;
  /** Maintenance connection used to create the target database. */
  adminUrl?: URL;
  /**
   * The owner role's connection to the same database (DATABASE_MIGRATION_URL): schema work runs as
   * it, and the serving role (DATABASE_URL) gets only row privileges. Unset: one role does both.
   */
  migrationUrl?: URL;
  pooler: PoolerMode;
  embedded: EmbeddedPostgresConfig;
  schemaMode: SchemaMode;
  logging: boolean;
  poolMax: number;
  connectTimeoutMs: number;
  startupDeadlineMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** Budget of a liveness probe; a request waits at most ~1.5x this on a frozen server before a 503. */
  probeTimeoutMs: number;
  applicationName: string;
  /** Warn at startup about privileges the serving role holds but does not need (production). */
  warnUnneededPrivileges: boolean;
}

export function buildDatabaseConfig(env: Record<string, string | undefined>): DatabaseConfig {
  const read = new EnvReader(env);
  const production = env.NODE_ENV === 'production';
  const url = read.postgresUrl('DATABASE_URL');
  const directUrl = read.postgresUrl('DATABASE_DIRECT_URL') ?? url;
  const explicitAdminUrl = read.postgresUrl('DATABASE_ADMIN_URL');
  const migrationUrl = read.postgresUrl('DATABASE_MIGRATION_URL');
  const schemaMode = read.oneOf('DB_SCHEMA_MODE', SCHEMA_MODES, production ? 'migrate' : 'sync');

  if (schemaMode === 'sync' && production) {
    read.problem('DB_SCHEMA_MODE=sync is refused when NODE_ENV=production (use migrate)');
  }
  if (url && !databaseNameOf(url)) {
    read.problem('DATABASE_URL names no database (add /<database> after the host)');
  }
  // A missing secret in production must not silently start a throwaway cluster in the container.
  const embeddedOptIn = read.bool('EMBEDDED_POSTGRES', false);
  if (production && !url && !embeddedOptIn) {
    read.problem(
      'DATABASE_URL is not set and NODE_ENV=production (set it, or EMBEDDED_POSTGRES=true to use the embedded PostgreSQL)',
    );
  }
  if (directUrl && url && databaseNameOf(directUrl) !== databaseNameOf(url)) {
    read.problem('DATABASE_DIRECT_URL must name the same database as DATABASE_URL');
  }
  if (directUrl !== url && !url) {
    read.problem('DATABASE_DIRECT_URL is set but DATABASE_URL is not');
  }
  if (env.DB_POOLER === 'transaction' && !url) {
    read.problem('DB_POOLER=transaction needs DATABASE_URL (the embedded PostgreSQL has no pooler)');
  }
  if (migrationUrl && !url) {
    read.problem(
      'DATABASE_MIGRATION_URL is set but DATABASE_URL is not (the embedded PostgreSQL makes both roles itself)',
    );
  }
  if (migrationUrl && url && databaseNameOf(migrationUrl) !== databaseNameOf(url)) {
    read.problem('DATABASE_MIGRATION_URL must name the same database as DATABASE_URL');
  }
  if (migrationUrl && url && decodeURIComponent(migrationUrl.username) === decodeURIComponent(url.username)) {
    read.problem(
      'DATABASE_MIGRATION_URL must log in as another role than DATABASE_URL (the owner role; leave it unset to use one role)',
    );
  }
  if (explicitAdminUrl && !url) {
    read.problem('DATABASE_ADMIN_URL is set but DATABASE_URL is not (the embedded PostgreSQL needs neither)');
  }

  const config: DatabaseConfig = {
    url,
    directUrl,
    // Without DATABASE_ADMIN_URL the owner role creates the database (and the serving role, if missing).
    adminUrl: explicitAdminUrl ?? adminUrlOf(migrationUrl ?? directUrl),
    migrationUrl: url && migrationUrl,
    pooler: read.oneOf('DB_POOLER', POOLER_MODES, 'none'),
    embedded: {
      dataDir: path.resolve(read.string('EMBEDDED_PG_DATA_DIR', '.data/postgres')),
      port: read.int('EMBEDDED_PG_PORT', 54329, 1, 65535),
      database: read.string('EMBEDDED_PG_DATABASE', 'bookapi'),
    },
    schemaMode,
    logging: read.bool('DB_LOGGING', false),
    poolMax: read.int('DB_POOL_MAX', 10, 1, 1000),
    connectTimeoutMs: read.int('DB_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    startupDeadlineMs: read.int('DB_STARTUP_DEADLINE_MS', 30_000, 0, 3_600_000),
    statementTimeoutMs: read.int('DB_STATEMENT_TIMEOUT_MS', 15_000, 0, 3_600_000),
    idleInTransactionTimeoutMs: read.int('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 0, 3_600_000),
    probeTimeoutMs: read.int('DB_PROBE_TIMEOUT_MS', 1000, 50, 60_000),
    applicationName: read.string('DB_APPLICATION_NAME', 'bookapi'),
    warnUnneededPrivileges: production,
  };
  read.done();
  return config;
}

function adminUrlOf(url: URL | undefined): URL | undefined {
  return url ? withDatabase(url, 'postgres') : undefined;
}

export const databaseConfig = registerAs('database', () => buildDatabaseConfig(process.env));
