import { ConfigError } from './config.exception';
import { buildDatabaseConfig } from './database.config';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    buildDatabaseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('buildDatabaseConfig', () => {
  it('defaults to the embedded PostgreSQL, sync in development', () => {
    const config = buildDatabaseConfig({});
    expect(config.url).toBeUndefined();
    expect(config.schemaMode).toBe('sync');
    expect(config.embedded.port).toBe(54329);
    expect(config.embedded.dataDir).toMatch(/\.data\/postgres$/);
  });

  it('derives the admin URL from DATABASE_URL: same server and credentials, database postgres', () => {
    const config = buildDatabaseConfig({ DATABASE_URL: 'postgres://app:s3cret@db.internal:6543/books' });
    expect(config.adminUrl?.toString()).toBe('postgres://app:s3cret@db.internal:6543/postgres');
  });

  it('defaults to migrate in production and refuses sync there, naming the variable', () => {
    expect(buildDatabaseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://a@h/d' }).schemaMode).toBe(
      'migrate',
    );
    expect(errorOf({ NODE_ENV: 'production', DB_SCHEMA_MODE: 'sync' }).message).toContain('DB_SCHEMA_MODE=sync');
  });

  it('reports every bad variable at once, by name', () => {
    const message = errorOf({ DB_POOL_MAX: 'lots', DB_LOGGING: 'maybe', DB_SCHEMA_MODE: 'yolo' }).message;
    expect(message).toContain('DB_POOL_MAX');
    expect(message).toContain('DB_LOGGING');
    expect(message).toContain('DB_SCHEMA_MODE');
  });

  it('never echoes a URL that may hold a password', () => {
    const message = errorOf({ DATABASE_URL: 'mysql://root:hunter2@db/books' }).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2');
    const unparsable = errorOf({ DATABASE_URL: 'not a url hunter2' }).message;
    expect(unparsable).toContain('DATABASE_URL');
    expect(unparsable).not.toContain('hunter2');
  });

  it('refuses contradictions: an admin URL without a target, a target without a database', () => {
    expect(errorOf({ DATABASE_ADMIN_URL: 'postgres://a@h/postgres' }).message).toContain('DATABASE_ADMIN_URL');
    expect(errorOf({ DATABASE_URL: 'postgres://a@h' }).message).toContain('names no database');
  });
});

describe('DATABASE_MIGRATION_URL', () => {
  const serving = 'postgres://app:pw@db:5432/books';

  it('is the owner role of the same database, and creates the database unless DATABASE_ADMIN_URL says otherwise', () => {
    const config = buildDatabaseConfig({
      DATABASE_URL: serving,
      DATABASE_MIGRATION_URL: 'postgres://owner:opw@db:5432/books',
    });
    expect(config.migrationUrl?.username).toBe('owner');
    expect(config.adminUrl?.toString()).toBe('postgres://owner:opw@db:5432/postgres');
    expect(buildDatabaseConfig({ DATABASE_URL: serving }).migrationUrl).toBeUndefined();
  });

  it('refuses a migration URL without DATABASE_URL, to another database, or as the serving role, naming it', () => {
    const owner = 'postgres://owner:opw@db:5432/books';
    expect(errorOf({ DATABASE_MIGRATION_URL: owner }).message).toContain('DATABASE_MIGRATION_URL is set but');
    const other = errorOf({ DATABASE_URL: serving, DATABASE_MIGRATION_URL: 'postgres://owner:opw@db:5432/x' });
    expect(other.message).toContain('DATABASE_MIGRATION_URL must name the same database');
    const same = errorOf({ DATABASE_URL: serving, DATABASE_MIGRATION_URL: 'postgres://app:pw@db:5432/books' });
    expect(same.message).toContain('DATABASE_MIGRATION_URL must log in as another role');
    expect(
      errorOf({ DATABASE_URL: serving, DATABASE_MIGRATION_URL: 'http://x:secret9@h/books' }).message,
    ).not.toContain('secret9');
  });
});

describe('production without DATABASE_URL', () => {
  it('refuses to start, naming the variable, instead of starting a throwaway embedded cluster', () => {
    const message = errorOf({ NODE_ENV: 'production' }).message;
    expect(message).toContain('DATABASE_URL is not set');
    expect(message).toContain('EMBEDDED_POSTGRES=true');
    expect(message.split('\n')).toHaveLength(1);
  });

  it('starts the embedded PostgreSQL when EMBEDDED_POSTGRES=true opts in, and never needs it elsewhere', () => {
    expect(buildDatabaseConfig({ NODE_ENV: 'production', EMBEDDED_POSTGRES: 'true' }).url).toBeUndefined();
    expect(buildDatabaseConfig({ NODE_ENV: 'development' }).url).toBeUndefined();
    const url = 'postgres://app:pw@db/books';
    expect(buildDatabaseConfig({ NODE_ENV: 'production', DATABASE_URL: url }).url?.hostname).toBe('db');
  });
});
