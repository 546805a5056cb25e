import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import request from 'supertest';
import { nodeFlags } from '../src/lib/node-flags';
import { withDatabase } from '../src/lib/url';
import { bookInput } from './factories/book.factory';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, query, TestDatabase } from './helpers/test-database';

const ROOT = path.resolve(__dirname, '..');
const INSUFFICIENT_PRIVILEGE = '42501';

/** A URL of `db` that logs in as `role`, with a password of its own. */
function roleUrl(db: TestDatabase, role: string): URL {
  const url = withDatabase(db.adminUrl, db.name);
  url.username = role;
  url.password = randomBytes(12).toString('base64url');
  return url;
}

/** `npm run db:prepare` (the built CLI) with exactly `env`; resolves with its exit code and output. */
async function dbPrepare(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [...nodeFlags(ROOT), path.join(ROOT, 'dist/cli/db-prepare.js')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'pretty', LOG_LEVEL: 'log', ...env } },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

/** Runs each statement on its own, as `url`'s role, and returns the SQLSTATE each failed with (or 'ok'). */
async function outcomes(url: URL, statements: string[]): Promise<Record<string, string>> {
  const client = new Client({ connectionString: url.toString(), application_name: 'bookapi-test-probe' });
  await client.connect();
  try {
    const result: Record<string, string> = {};
    for (const sql of statements) {
      result[sql] = await client.query(sql).then(
        () => 'ok',
        (error: Error & { code?: string }) => error.code ?? error.message,
      );
    }
    return result;
  } finally {
    await client.end();
  }
}

/** What the schema changes a serving role must never make. */
const SCHEMA_CHANGES = [
  'DROP TABLE books',
  'TRUNCATE books',
  'CREATE TABLE public.intruder (id int)',
  'ALTER TABLE books ADD COLUMN intruder int',
  'CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
];

/** Every object of the schema owned by `role`. */
function ownedBy(role: string) {
  return { database: role, schema: role, books: role, book_words: role, pg_trgm: role, functions: role };
}

async function owners(db: TestDatabase) {
  return query(
    db.url,
    `SELECT pg_get_userbyid(d.datdba) AS database, pg_get_userbyid(n.nspowner) AS schema,
            (SELECT tableowner FROM pg_tables WHERE tablename = 'books') AS books,
            (SELECT tableowner FROM pg_tables WHERE tablename = 'book_words') AS book_words,
            (SELECT pg_get_userbyid(extowner) FROM pg_extension WHERE extname = 'pg_trgm') AS pg_trgm,
            (SELECT string_agg(DISTINCT pg_get_userbyid(proowner), ',') FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'book%') AS functions
     FROM pg_database d, pg_namespace n WHERE d.datname = current_database() AND n.nspname = 'public'`,
  );
}

/** A database the service itself creates (none is made here), and the app and roles a suite adds; all gone afterwards. */
function useServiceDatabase(label: string, roles: string[]): { db: TestDatabase; app?: TestApp } {
  const state = {} as { db: TestDatabase; app?: TestApp };
  beforeAll(async () => {
    state.db = await createTestDatabase(label, { create: false });
  });
  afterAll(async () => {
    await state.app?.close();
    await state.db?.drop();
    await query(state.db.adminUrl, `DROP ROLE IF EXISTS ${roles.map((role) => `"${role}"`).join(', ')}`);
  });
  return state;
}

/**
 * DATABASE_URL names a role that is not DATABASE_ADMIN_URL's superuser (docker-compose does
 * this): create-database makes the role and gives it the database, migrations run as it, and
 * every connection of the service is without superuser rights.
 */
describe('least privilege: an application role beside the admin superuser', () => {
  const role = `bookapi_test_role_${randomBytes(3).toString('hex')}`;
  const appName = `bookapi-${role}`;
  // Not created here: the service must create it, owned by the role.
  const fx = useServiceDatabase('least_privilege', [role]);

  it('creates the role and its database, migrates as the role, and never connects as a superuser', async () => {
    const db = fx.db;
    const url = roleUrl(db, role);
    const app = (fx.app = await startTestApp(url, {
      DATABASE_ADMIN_URL: db.adminUrl.toString(),
      DB_SCHEMA_MODE: 'migrate',
      DB_APPLICATION_NAME: appName,
    }));
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

/**
 * DATABASE_MIGRATION_URL names an owner role: it creates and migrates the schema and grants the
 * serving role (DATABASE_URL) row privileges only, so the service's own credentials cannot change
 * the schema, while every request still works.
 */
describe('least privilege: an owner role for the schema, a serving role for requests', () => {
  const suffix = randomBytes(3).toString('hex');
  const [ownerRole, servingRole] = [`bookapi_test_owner_${suffix}`, `bookapi_test_serving_${suffix}`];
  const appName = `bookapi-${servingRole}`;
  const fx = useServiceDatabase('two_roles', [servingRole, ownerRole]);
  let servingUrl: URL;
  let ownerUrl: URL;

  beforeAll(async () => {
    [servingUrl, ownerUrl] = [roleUrl(fx.db, servingRole), roleUrl(fx.db, ownerRole)];
    fx.app = await startTestApp(servingUrl, {
      DATABASE_MIGRATION_URL: ownerUrl.toString(),
      DATABASE_ADMIN_URL: fx.db.adminUrl.toString(),
      DB_SCHEMA_MODE: 'migrate',
      DB_APPLICATION_NAME: appName,
    });
  });

  it('serves create, read, search, update and delete as the serving role', async () => {
    const db = fx.db;
    const api = () => request(fx.app!.baseUrl);
    const input = bookInput({ title: 'Privilege Cathedral', author: 'Ann Owner' });
    const created = (await api().post('/books').send(input).expect(201)).body as { id: string; version: number };
    await api().get(`/books/${created.id}`).expect(200);
    const found = await api().get('/books?search=cathedral').expect(200);
    expect((found.body as { data: { id: string }[] }).data.map((b) => b.id)).toEqual([created.id]);
    await api()
      .patch(`/books/${created.id}`)
      .set('If-Match', `"${created.version}"`)
      .send({ title: 'Privilege Chapel' })
      .expect(200);
    // The trigger (running as the owner) keeps book_words current, which the serving role may only read.
    await expect(
      query(db.url, 'SELECT word FROM book_words WHERE book_id = $1 ORDER BY word', [created.id]),
    ).resolves.toEqual([{ word: 'ann' }, { word: 'chapel' }, { word: 'owner' }, { word: 'privilege' }]);
    await api().delete(`/books/${created.id}`).expect(204);
    await expect(
      query(db.url, 'SELECT count(*)::int AS n FROM book_words WHERE book_id = $1', [created.id]),
    ).resolves.toEqual([{ n: 0 }]);

    const sessions = await query<{ rolname: string }>(
      db.adminUrl,
      `SELECT DISTINCT r.rolname FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid WHERE a.application_name = $1`,
      [appName],
    );
    expect(sessions).toEqual([{ rolname: servingRole }]);
  });

  it('refuses the serving role every schema change with 42501, and writes to the tables it only reads', async () => {
    const refused = await outcomes(servingUrl, [
      ...SCHEMA_CHANGES,
      "INSERT INTO book_words (word, book_id) VALUES ('forged', gen_random_uuid())",
      'SELECT count(*) FROM migrations',
    ]);
    expect(Object.values(refused)).toEqual(Array(SCHEMA_CHANGES.length + 2).fill(INSUFFICIENT_PRIVILEGE));
    // The owner role may make the same changes: the refusals are about the role, not the statements.
    await expect(outcomes(ownerUrl, ['CREATE TABLE public.owner_probe (id int)'])).resolves.toEqual({
      'CREATE TABLE public.owner_probe (id int)': 'ok',
    });
    await expect(owners(fx.db)).resolves.toEqual([ownedBy(ownerRole)]);
  });

  it('gives a table a later migration creates to the serving role without a GRANT (default privileges)', async () => {
    await outcomes(ownerUrl, ['CREATE TABLE public.later_migration (id serial PRIMARY KEY, note text)']);
    await expect(
      outcomes(servingUrl, [
        "INSERT INTO later_migration (note) VALUES ('a')",
        "UPDATE later_migration SET note = 'b'",
        'SELECT * FROM later_migration',
        'DELETE FROM later_migration',
        'TRUNCATE later_migration',
        'DROP TABLE later_migration',
      ]),
    ).resolves.toEqual({
      "INSERT INTO later_migration (note) VALUES ('a')": 'ok',
      "UPDATE later_migration SET note = 'b'": 'ok',
      'SELECT * FROM later_migration': 'ok',
      'DELETE FROM later_migration': 'ok',
      'TRUNCATE later_migration': INSUFFICIENT_PRIVILEGE,
      'DROP TABLE later_migration': INSUFFICIENT_PRIVILEGE,
    });
  });
});

/**
 * A database made by the single-role setup (the serving role owns it all) becomes the two-role
 * setup with one `npm run db:prepare` given DATABASE_MIGRATION_URL, keeping its rows; until then a
 * production service says which privileges its role has but does not need.
 */
describe('least privilege: upgrading a single-role database', () => {
  const suffix = randomBytes(3).toString('hex');
  const [ownerRole, servingRole] = [`bookapi_test_owner_${suffix}`, `bookapi_test_serving_${suffix}`];
  const fx = useServiceDatabase('upgrade_roles', [servingRole, ownerRole]);

  it('converts it with one db:prepare, and the production warning names what the role had', async () => {
    const db = fx.db;
    const servingUrl = roleUrl(db, servingRole);
    const ownerUrl = roleUrl(db, ownerRole);
    const production = { NODE_ENV: 'production', DATABASE_ADMIN_URL: db.adminUrl.toString() };
    const single = await dbPrepare({ ...production, DATABASE_URL: servingUrl.toString() });
    expect(single.code).toBe(0);
    // Every table the migrations made, however many there are by now.
    const [{ tables }] = await query<{ tables: number }>(
      db.url,
      `SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1`,
      [servingRole],
    );
    expect(tables).toBeGreaterThanOrEqual(3);
    expect(single.output).toContain(
      `DATABASE_URL's role "${servingRole}" has privileges the service does not need: owns database "${db.name}" (may drop it), owns schema public, owns ${tables} table(s) (may DROP, TRUNCATE and ALTER them)`,
    );
    const before = await startTestApp(servingUrl, { DB_SCHEMA_MODE: 'none' });
    fx.app = before;
    const id = ((await request(before.baseUrl).post('/books').send(bookInput()).expect(201)).body as { id: string }).id;
    await before.close();
    fx.app = undefined;
    await expect(owners(db)).resolves.toEqual([expect.objectContaining({ database: servingRole, books: servingRole })]);

    const upgraded = await dbPrepare({
      ...production,
      DATABASE_URL: servingUrl.toString(),
      DATABASE_MIGRATION_URL: ownerUrl.toString(),
    });
    expect(upgraded.code).toBe(0);
    expect(upgraded.output).toContain('Database prepared');
    expect(upgraded.output).not.toContain('privileges the service does not need');
    await expect(owners(db)).resolves.toEqual([ownedBy(ownerRole)]);
    const refused = await outcomes(servingUrl, SCHEMA_CHANGES);
    expect(Object.values(refused)).toEqual(Array(SCHEMA_CHANGES.length).fill(INSUFFICIENT_PRIVILEGE));

    // The serving role alone, as the API containers run it: the old row is there, and writes work.
    const serving = (fx.app = await startTestApp(servingUrl, { DB_SCHEMA_MODE: 'none' }));
    await request(serving.baseUrl).get(`/books/${id}`).expect(200);
    await request(serving.baseUrl).post('/books').send(bookInput()).expect(201);
  });
});
