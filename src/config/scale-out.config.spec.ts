import { buildDataSourceOptions } from '../database/runtime/data-source-options';
import { buildAppConfig } from './app.config';
import { ConfigError } from './config.exception';
import { buildDatabaseConfig } from './database.config';

function problemOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const POOLED = 'postgres://app:s3cret@pgbouncer:6432/books';
const DIRECT = 'postgres://app:s3cret@db:5432/books';

describe('settings for more than one instance', () => {
  it('DATABASE_DIRECT_URL defaults to DATABASE_URL, and the admin URL follows the direct one', () => {
    expect(buildDatabaseConfig({ DATABASE_URL: POOLED }).directUrl?.toString()).toBe(POOLED);
    const config = buildDatabaseConfig({ DATABASE_URL: POOLED, DATABASE_DIRECT_URL: DIRECT });
    expect(config.directUrl?.toString()).toBe(DIRECT);
    expect(config.adminUrl?.toString()).toBe('postgres://app:s3cret@db:5432/postgres');
    expect(config.pooler).toBe('none');
  });

  it('refuses a direct URL to another database, or one without DATABASE_URL, and a pooler without a server', () => {
    expect(
      problemOf(() =>
        buildDatabaseConfig({ DATABASE_URL: POOLED, DATABASE_DIRECT_URL: 'postgres://app:s3cret@db:5432/other' }),
      ),
    ).toContain('DATABASE_DIRECT_URL must name the same database');
    expect(problemOf(() => buildDatabaseConfig({ DATABASE_DIRECT_URL: DIRECT }))).toContain(
      'DATABASE_DIRECT_URL is set but DATABASE_URL is not',
    );
    expect(problemOf(() => buildDatabaseConfig({ DB_POOLER: 'transaction' }))).toContain('DB_POOLER=transaction');
    expect(problemOf(() => buildDatabaseConfig({ DATABASE_URL: POOLED, DB_POOLER: 'session' }))).toContain('DB_POOLER');
  });

  it('sends the timeouts as startup parameters only without a transaction-mode pooler', () => {
    const direct = buildDatabaseConfig({ DATABASE_URL: DIRECT, DB_STATEMENT_TIMEOUT_MS: '1234' });
    expect(buildDataSourceOptions(direct, direct.url!).extra).toMatchObject({ statement_timeout: 1234 });
    const pooled = buildDatabaseConfig({ DATABASE_URL: POOLED, DATABASE_DIRECT_URL: DIRECT, DB_POOLER: 'transaction' });
    const extra = buildDataSourceOptions(pooled, pooled.url!).extra as Record<string, unknown>;
    expect(Object.keys(extra)).not.toContain('statement_timeout');
    expect(Object.keys(extra)).not.toContain('idle_in_transaction_session_timeout');
  });

  it('REDIS_URL must be a redis:// URL, and a bad one is named without being echoed', () => {
    expect(buildAppConfig({}).throttle.redisUrl).toBeUndefined();
    expect(buildAppConfig({ REDIS_URL: 'redis://:pw@cache:6380/2' }).throttle.redisUrl?.host).toBe('cache:6380');
    const message = problemOf(() => buildAppConfig({ REDIS_URL: 'http://user:hunter2@cache' }));
    expect(message).toContain('REDIS_URL');
    expect(message).not.toContain('hunter2');
  });

  it('SHUTDOWN_DRAIN_DELAY_MS defaults to 0 and must end before SHUTDOWN_TIMEOUT_MS', () => {
    expect(buildAppConfig({}).shutdownDrainDelayMs).toBe(0);
    expect(buildAppConfig({ SHUTDOWN_DRAIN_DELAY_MS: '1500' }).shutdownDrainDelayMs).toBe(1500);
    expect(
      problemOf(() => buildAppConfig({ SHUTDOWN_DRAIN_DELAY_MS: '10000', SHUTDOWN_TIMEOUT_MS: '10000' })),
    ).toContain('SHUTDOWN_DRAIN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS');
  });
});
