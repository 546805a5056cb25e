import { randomBytes } from 'node:crypto';
import { createDatabaseIfMissing } from '../src/database/lifecycle/create-database';
import { withDatabase } from '../src/lib/url';
import { adminUrl, query, testDatabaseName } from './helpers/test-database';

/**
 * The three admin errors an operator meets first, each caused for real on the server under test
 * and answered with the one line that says how to fix it.
 */
describe('create-database explains the errors an operator can fix', () => {
  const admin = adminUrl();
  const suffix = randomBytes(4).toString('hex');
  const password = randomBytes(12).toString('hex');
  const roles = { noCreate: `bookapi_test_nocreatedb_${suffix}`, noLogin: `bookapi_test_nologin_${suffix}` };
  const options = { connectTimeoutMs: 5000, lockTimeoutMs: 5000, applicationName: 'bookapi-test' };
  const as = (role: string, database = 'postgres') => {
    const url = withDatabase(admin, database);
    url.username = role;
    url.password = password;
    return url;
  };

  beforeAll(async () => {
    await query(admin, `CREATE ROLE ${roles.noCreate} LOGIN NOCREATEDB PASSWORD '${password}'`);
    await query(admin, `CREATE ROLE ${roles.noLogin} NOLOGIN PASSWORD '${password}'`);
  });

  afterAll(async () => {
    await query(admin, `DROP ROLE IF EXISTS ${roles.noCreate}`);
    await query(admin, `DROP ROLE IF EXISTS ${roles.noLogin}`);
  });

  it('42501: a role without CREATEDB is told to get it, or to create the database first', async () => {
    const name = testDatabaseName('nocreate');
    await expect(createDatabaseIfMissing(as(roles.noCreate), name, options)).rejects.toThrow(
      new RegExp(`^Role "${roles.noCreate}" may not create database "${name}" on .+ \\(42501\\): grant it CREATEDB`),
    );
    await expect(query(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).resolves.toEqual([]);
  });

  it('28000: a role the server refuses to log in is told to check pg_hba.conf and the user', async () => {
    await expect(createDatabaseIfMissing(as(roles.noLogin), testDatabaseName('nologin'), options)).rejects.toThrow(
      new RegExp(`^The server at .+ refused user "${roles.noLogin}" \\(28000\\): check pg_hba.conf`),
    );
  });

  it('3D000: a maintenance database that does not exist is named, with the setting to change', async () => {
    const missing = `bookapi_test_missing_${suffix}`;
    await expect(
      createDatabaseIfMissing(withDatabase(admin, missing), testDatabaseName('nomaint'), options),
    ).rejects.toThrow(new RegExp(`^Maintenance database "${missing}" does not exist on .+ \\(3D000\\): set DATABASE_ADMIN_URL`));
  });
});
