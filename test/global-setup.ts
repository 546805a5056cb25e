import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDatabaseConfig } from '../src/config/database.config';
import { databaseNameOf, redactUrl, withDatabase } from '../src/lib/url';
import { EmbeddedPostgresServer } from '../src/database/embedded/embedded-postgres.server';
import { freePort } from '../src/lib/free-port';
import { TEST_ENV } from './helpers/test-env';
import { ensureServiceRoles, newServiceRoles } from './helpers/service-roles';

declare global {
  var __BOOKAPI_TEST_PG__: { server: EmbeddedPostgresServer; dataDir: string } | undefined;
}

/**
 * Starts a private embedded PostgreSQL for the run (it enforces passwords, and it is the
 * server under test unless DATABASE_URL names another). Suites make their own databases
 * whose names must contain "test"; a DATABASE_URL whose database lacks it is refused.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-test-pg-'));
  fs.chmodSync(dataDir, 0o755);
  const quiet = { debug: () => undefined, log: () => undefined, warn: (m: string) => console.warn(m) };
  const server = new EmbeddedPostgresServer(
    { dataDir: path.join(dataDir, 'cluster'), port: await freePort(), database: 'postgres' },
    quiet,
  );
  await server.start();
  globalThis.__BOOKAPI_TEST_PG__ = { server, dataDir };
  process.env[TEST_ENV.embeddedAdminUrl] = server.url('postgres').toString();

  const external = process.env.DATABASE_URL;
  if (external) {
    const config = buildDatabaseConfig({ DATABASE_URL: external, DATABASE_ADMIN_URL: process.env.DATABASE_ADMIN_URL });
    const name = databaseNameOf(config.url!);
    if (!/test/i.test(name)) {
      throw new Error(`Refusing to run tests against database "${name}": its name must contain "test"`);
    }
    process.env[TEST_ENV.adminUrl] = config.adminUrl!.toString();
    process.env[TEST_ENV.serverLabel] = `DATABASE_URL server ${redactUrl(withDatabase(config.url!, name))}`;
  } else {
    process.env[TEST_ENV.adminUrl] = server.url('postgres').toString();
    process.env[TEST_ENV.serverLabel] = 'embedded PostgreSQL';
  }
  // The service runs as a serving role and migrates as an owner role, as in production.
  const roles = newServiceRoles();
  await ensureServiceRoles(new URL(process.env[TEST_ENV.adminUrl]!), roles);
  process.env[TEST_ENV.roles] = JSON.stringify(roles);
  // Suites build their own DATABASE_URL; never let the outer one leak into an app under test.
  delete process.env.DATABASE_URL;
  delete process.env.DATABASE_ADMIN_URL;
  console.log(`\ne2e server under test: ${process.env[TEST_ENV.serverLabel]}`);
}
