import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { checkTypeormPool } from '../../lib/internals/typeorm';
import { StartupError } from '../../lib/startup-error';
import { databaseConfig } from '../../config/database.config';
import { SCHEMA_LOCK_KEY, withAdvisoryLock } from './advisory-lock';
import { roleOf, warnAboutRole } from './app-role';
import { createDatabaseIfMissing } from './create-database';
import { redactUrl, scrubSecrets } from '../../lib/url';
import { DatabaseTarget } from './database-target';
import { DatabaseStartupError } from '../database.exception';
import { describePostgresError, isTransientConnectionError } from '../../lib/postgres-error';
import { withTimeout } from '../../lib/timers';
import { buildDataSourceOptions } from '../runtime/data-source-options';
import { TypeOrmNestLogger } from '../runtime/typeorm-logger';
import { retryWithBackoff } from './retry';
import { withSchemaDataSource } from './schema-data-source';
import { applyRoleTimeouts } from './session-defaults';
import { grantServingRole, prepareServingRole } from './serving-grants';

/**
 * The one owner of the DataSource and of the embedded server, from creation to destruction:
 * creates the DataSource (constructor), brings everything up in `onModuleInit` (server,
 * create-database, connect + ping, schema) and down in `onApplicationShutdown`. The app
 * (DatabaseModule) and `db:prepare` (src/cli) both run it.
 */
@Injectable()
export class DatabaseLifecycle implements OnModuleInit, OnApplicationShutdown {
  readonly dataSource: DataSource;
  private readonly logger = new Logger('Database');
  private shutdown?: Promise<void>;
  private connected = false;

  constructor(
    @Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>,
    private readonly target: DatabaseTarget,
  ) {
    this.dataSource = new DataSource(buildDataSourceOptions(config, target.url, new TypeOrmNestLogger(config.logging)));
  }

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.config.startupDeadlineMs;
    try {
      if (this.target.embedded) {
        this.logger.log('DATABASE_URL is not set: starting the embedded PostgreSQL');
        await this.target.embedded.start();
      }
      const outcome = await this.retryTransient('create-database', this.target.adminUrl, deadline, () =>
        createDatabaseIfMissing(this.target.adminUrl, this.target.databaseName, {
          connectTimeoutMs: this.config.connectTimeoutMs,
          lockTimeoutMs: Math.max(1000, deadline - Date.now()),
          applicationName: this.config.applicationName,
          owner: roleOf(this.target.migrationUrl),
          serving: this.target.twoRoles ? roleOf(this.target.url) : undefined,
          // The embedded cluster is the service's own: a database made by an older version is handed over,
          // and roles an older version made with the superuser's password get their own.
          adoptExisting: !!this.target.embedded,
          resetPasswords: !!this.target.embedded,
        }),
      );
      this.logger.log(`Database "${this.target.databaseName}" ${outcome === 'created' ? 'created' : 'exists'}`);
      if (this.config.pooler === 'transaction') await this.applyRoleTimeouts(deadline);
      await this.retryTransient('connect', this.target.url, deadline, () => this.initializeDataSource());
      checkTypeormPool(this.dataSource);
      await this.ping(this.config.connectTimeoutMs);
      await this.prepareSchema(deadline);
      await warnAboutRole(this.dataSource, this.logger, this.config.warnUnneededPrivileges);
      if (this.config.pooler === 'transaction') await this.checkPooledTimeout();
      this.logger.log(`Database ready in ${Date.now() - started} ms (${redactUrl(this.target.url)})`);
    } catch (error) {
      await this.onApplicationShutdown();
      throw this.toStartupError(error);
    }
  }

  /** Destroys the DataSource, then stops the embedded server. Safe to call more than once. */
  onApplicationShutdown(): Promise<void> {
    this.shutdown ??= (async () => {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
      if (this.connected) this.logger.log('DataSource destroyed');
      const embedded = this.target.embedded;
      if (embedded) {
        const wasRunning = embedded.running;
        await embedded.stop();
        if (wasRunning) this.logger.log('Embedded PostgreSQL stopped');
      }
    })();
    return this.shutdown;
  }

  /**
   * `SELECT 1` that fails after `timeoutMs` instead of waiting on a stuck server. Readiness uses
   * this rather than terminus's TypeOrmHealthIndicator.pingCheck: that one answers a failed ping
   * with a bare "down" and drops the error, while our 503 names the cause in `detail`.
   */
  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.dataSource.query('SELECT 1'), timeoutMs, `ping timeout after ${timeoutMs} ms`);
  }

  private async initializeDataSource(): Promise<void> {
    if (this.dataSource.isInitialized) return;
    try {
      await this.dataSource.initialize();
      this.connected = true;
    } catch (error) {
      // A half-made pool would leak its connections into the next attempt.
      await this.dataSource.driver.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /** Under the schema lock, on the direct connection: the timeouts as role defaults (pooled mode). */
  private async applyRoleTimeouts(deadline: number): Promise<void> {
    const changed = await this.retryTransient('session-defaults', this.target.directUrl, deadline, () =>
      this.withSchemaLock(deadline, (client) => applyRoleTimeouts(client, this.target.databaseName, this.config)),
    );
    if (changed)
      this.logger.log('Statement and idle-in-transaction timeouts set as defaults of this role in this database');
  }

  /** A pooler that logs in as another role, or server connections older than the defaults, would run without them. */
  private async checkPooledTimeout(): Promise<void> {
    const rows: { setting: string }[] = await this.dataSource.query(
      "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
    );
    const setting = Number(rows[0]?.setting);
    if (setting !== this.config.statementTimeoutMs) {
      this.logger.warn(
        `A pooled connection has statement_timeout=${setting} ms, not DB_STATEMENT_TIMEOUT_MS=${this.config.statementTimeoutMs}: ` +
          'the pooler must log in as the role of DATABASE_DIRECT_URL; server connections opened earlier keep their old value until the pooler replaces them',
      );
    }
  }

  private withSchemaLock<T>(deadline: number, work: (client: Client) => Promise<T>): Promise<T> {
    return withAdvisoryLock(
      this.target.directUrl,
      SCHEMA_LOCK_KEY,
      {
        applicationName: this.config.applicationName,
        connectTimeoutMs: this.config.connectTimeoutMs,
        lockTimeoutMs: Math.max(1000, deadline - Date.now()),
      },
      work,
    );
  }

  /**
   * Sync or migrate, as the owner role when there are two (DATABASE_MIGRATION_URL, or the embedded
   * cluster), which then also grants the serving role its row privileges.
   */
  private async prepareSchema(deadline: number): Promise<void> {
    const mode = this.config.schemaMode;
    const serving = this.target.twoRoles ? roleOf(this.target.url).name : undefined;
    if (mode === 'none' && !serving) return;
    const apply = async (dataSource: DataSource) => {
      if (serving) await prepareServingRole(dataSource, this.target.databaseName, serving);
      // With DB_SCHEMA_MODE=none the operator owns the schema; only the grants are ours.
      if (mode === 'sync') {
        await dataSource.synchronize();
        this.logger.log('Schema synchronized with the entities');
      } else if (mode === 'migrate') {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        this.logger.log(
          applied.length ? `Applied migrations: ${applied.map((m) => m.name).join(', ')}` : 'No pending migrations',
        );
      }
      if (serving) await grantServingRole(dataSource, serving);
    };
    await this.withSchemaLock(deadline, () =>
      this.config.pooler === 'transaction' || serving
        ? withSchemaDataSource(this.config, this.target.migrationUrl, apply)
        : apply(this.dataSource),
    );
  }

  private retryTransient<T>(step: string, url: URL, deadline: number, attempt: () => Promise<T>): Promise<T> {
    return retryWithBackoff(attempt, {
      deadlineMs: Math.max(0, deadline - Date.now()),
      isRetryable: isTransientConnectionError,
      onRetry: (error, n, delayMs) =>
        this.logger.warn(
          `${step}: PostgreSQL at ${redactUrl(url)} not reachable yet (${describePostgresError(error)}); attempt ${n}, next in ${delayMs} ms`,
        ),
    });
  }

  private toStartupError(error: unknown): StartupError {
    if (error instanceof StartupError) return error;
    const where = redactUrl(this.target.url);
    const detail = scrubSecrets(describePostgresError(error), this.target.secrets);
    if (isTransientConnectionError(error)) {
      return new DatabaseStartupError(
        `PostgreSQL at ${where} was not reachable within DB_STARTUP_DEADLINE_MS=${this.config.startupDeadlineMs} (${detail})`,
        { cause: error },
      );
    }
    const hint = /unsupported startup parameter/.test(detail)
      ? ' (DATABASE_URL looks like a transaction-mode pooler: set DB_POOLER=transaction and DATABASE_DIRECT_URL)'
      : '';
    return new DatabaseStartupError(`Database startup failed on ${where}: ${detail}${hint}`, { cause: error });
  }
}
