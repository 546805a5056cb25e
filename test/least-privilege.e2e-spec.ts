import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { withDatabase } from '../src/lib/url';
import { bookInput } from './factories/book.factory';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, query, TestDatabase } from './helpers/test-database';

/**
 * DATABASE_URL names a role that is not DATABASE_ADMIN_URL's superuser (docker-compose does
 * this): create-database makes the role and gives it the database, migrations run as it, and
 * every connection of the service is without superuser rights.
 */
describe('least privilege: an application role beside the admin superuser', () => {
  const role = `bookapi_test_role_${randomBytes(3).toString('hex')}`;
  const appName = `bookapi-${role}`;
  let db: TestDatabase;
  let app: TestApp | undefined;

  beforeAll(async () => {
    // Not created here: the service must create it, owned by the role.
    db = await createTestDatabase('least_privilege', { create: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await query(db.adminUrl, `DROP ROLE IF EXISTS "${role}"`);
  });

  it('creates the role and its database, migrates as the role, and never connects as a superuser', async () => {
    const url = withDatabase(db.adminUrl, db.name);
    url.username = role;
    url.password = randomBytes(12).toString('base64url');
    app = await startTestApp(url, {
      DATABASE_ADMIN_URL: db.adminUrl.toString(),
      DB_SCHEMA_MODE: 'migrate',
      DB_APPLICATION_NAME: appName,
    });
    await request(app.baseUrl).post('/books').send(bookInput()).expect(201);

    const sessions = await query<{ rolname: string; rolsuper: boolean }>(
      db.adminUrl,
      `SELECT r.rolname, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
       WHERE a.application_name = $1`,
      [appName],
    );
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.rolname === role && s.rolsuper === false)).toBe(true);
    await expect(
      query(db.adminUrl, 'SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [role]),
    ).resolves.toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false }]);
    await expect(
      query(
        db.url,
        `SELECT pg_get_userbyid(d.datdba) AS database, pg_get_userbyid(n.nspowner) AS schema,
                (SELECT tableowner FROM pg_tables WHERE tablename = 'books') AS books,
                (SELECT count(*)::int FROM migrations) AS migrations
         FROM pg_database d, pg_namespace n WHERE d.datname = current_database() AND n.nspname = 'public'`,
      ),
    ).resolves.toEqual([{ database: role, schema: role, books: role, migrations: expect.any(Number) }]);
  });
});
