import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabaseIfMissing, dropDatabaseIfExists } from '../../src/database/lifecycle/create-database';
import { withDatabase } from '../../src/lib/url';
import { asRole, serviceRoles } from './service-roles';
import { requireEnv, TEST_ENV } from './test-env';

export interface TestDatabase {
  name: string;
  /** The superuser's: for a test that sets up or inspects rows and catalogs, never for the service. */
  url: URL;
  /** The serving role's: the service's DATABASE_URL (row privileges only). */
  appUrl: URL;
  /** The owner role's: the service's DATABASE_MIGRATION_URL. */
  ownerUrl: URL;
  adminUrl: URL;
  drop(): Promise<void>;
}

/** How the service is pointed at a test database: as the serving role, migrating as the owner. */
export function serviceEnv(db: Pick<TestDatabase, 'appUrl' | 'ownerUrl'>): Record<string, string> {
  return { DATABASE_URL: db.appUrl.toString(), DATABASE_MIGRATION_URL: db.ownerUrl.toString() };
}

export function adminUrl(which: 'under-test' | 'embedded' = 'under-test'): URL {
  return new URL(requireEnv(which === 'embedded' ? TEST_ENV.embeddedAdminUrl : TEST_ENV.adminUrl));
}

/** A unique database name that says "test", as the global setup demands. */
export function testDatabaseName(label: string): string {
  return `bookapi_test_${label}_${randomBytes(4).toString('hex')}`.slice(0, 63);
}

export function assertTestName(name: string): void {
  if (!/test/i.test(name))
    throw new Error(`Refusing to use database "${name}" in a test: its name must contain "test"`);
}

/** A throwaway database made by the project's own create-database code. */
export async function createTestDatabase(
  label: string,
  options: { server?: 'under-test' | 'embedded'; name?: string; create?: boolean } = {},
): Promise<TestDatabase> {
  const admin = adminUrl(options.server);
  const name = options.name ?? testDatabaseName(label);
  assertTestName(name);
  const roles = serviceRoles();
  if (options.create !== false) {
    // Owned by the owner role; the service grants the serving role its rows when it starts.
    await createDatabaseIfMissing(admin, name, {
      connectTimeoutMs: 5000,
      lockTimeoutMs: 10000,
      applicationName: 'bookapi-test',
      owner: roles.owner,
      serving: roles.serving,
    });
  }
  const url = withDatabase(admin, name);
  return {
    name,
    url,
    appUrl: asRole(url, roles.serving),
    ownerUrl: asRole(url, roles.owner),
    adminUrl: admin,
    drop: () => dropDatabaseIfExists(admin, name, 'bookapi-test'),
  };
}

/** Runs one query on its own short-lived connection. */
export async function query<T extends Record<string, unknown> = Record<string, unknown>>(
  url: URL,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url.toString(), application_name: 'bookapi-test-probe' });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
