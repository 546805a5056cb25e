import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { buildDatabaseConfig } from '../src/config/database.config';
import { buildDataSourceOptions, MIGRATIONS } from '../src/database/runtime/data-source-options';
import { adminUrl, createTestDatabase, query, serviceEnv, TestDatabase } from './helpers/test-database';
import { withEnv } from './helpers/env';
import { startTestApp } from './helpers/test-app';

const ROOT = path.resolve(__dirname, '..');
const DB_PREPARE_JS = path.join(ROOT, 'dist/cli/db-prepare.js');
const MIGRATION_NAMES = MIGRATIONS.map((migration) => migration.name).sort();

/**
 * Runs an npm script of this package (the TypeORM CLI through ts-node) against `db` as operators
 * do: the serving role's DATABASE_URL beside the owner's DATABASE_MIGRATION_URL, which the CLI uses.
 */
async function npmRun(script: string, db: TestDatabase): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: { ...process.env, ...serviceEnv(db) },
    timeout: 120_000,
  });
  return stdout + stderr;
}

/** The DDL TypeORM's schema builder would run to make `url` match the entities: [] means no drift. */
async function schemaDrift(url: URL): Promise<string[]> {
  const config = buildDatabaseConfig({ DATABASE_URL: url.toString() });
  const dataSource = new DataSource({ ...buildDataSourceOptions(config, url), logging: false });
  await dataSource.initialize();
  try {
    const log = await dataSource.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    await dataSource.destroy();
  }
}

async function appliedMigrations(url: URL): Promise<string[]> {
  const rows = await query<{ name: string }>(url, 'SELECT name FROM migrations ORDER BY name');
  return rows.map((row) => row.name);
}

async function tableExists(url: URL, table: string): Promise<boolean> {
  const rows = await query<{ found: string | null }>(url, 'SELECT to_regclass($1)::text AS found', [table]);
  return rows[0].found !== null;
}

interface Exit {
  code: number | null;
  output: string;
}

/** `node dist/cli/db-prepare.js` with exactly `env` (plus PATH/HOME), from a folder with no .env. */
function dbPrepare(env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [DB_PREPARE_JS], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, output }));
  });
}

describe('migrations', () => {
  const databases: TestDatabase[] = [];
  const track = (db: TestDatabase) => (databases.push(db), db);

  beforeAll(() => {
    if (!fs.existsSync(DB_PREPARE_JS)) throw new Error(`${DB_PREPARE_JS} is missing: run npx nest build first`);
  });
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  it('db:migrate builds exactly the schema the entities describe, and db:revert undoes it', async () => {
    const db = track(await createTestDatabase('migrate_cli'));

    await expect(npmRun('db:migrate', db)).resolves.toContain('has been executed successfully');
    await expect(appliedMigrations(db.url)).resolves.toEqual(MIGRATION_NAMES);
    // The CLI migrated as the owner role (the serving role may not create tables): it owns all it made.
    await expect(
      query(db.url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"),
    ).resolves.toEqual([{ tableowner: db.ownerUrl.username }]);
    await expect(schemaDrift(db.url)).resolves.toEqual([]);

    // Reverting every migration leaves an empty schema, which the drift check does notice.
    for (let i = 0; i < MIGRATIONS.length; i++) {
      await expect(npmRun('db:revert', db)).resolves.toContain('has been reverted successfully');
    }
    await expect(appliedMigrations(db.url)).resolves.toEqual([]);
    await expect(tableExists(db.url, 'books')).resolves.toBe(false);
    expect((await schemaDrift(db.url)).some((sql) => sql.startsWith('CREATE TABLE "books"'))).toBe(true);

    await npmRun('db:migrate', db);
    await expect(schemaDrift(db.url)).resolves.toEqual([]);
    // Four CLI runs, each compiling ormconfig.ts with ts-node: slow on a busy machine.
  }, 240_000);

  it('8 instances booting together in migrate mode create the database and apply each migration once', async () => {
    const db = track(await createTestDatabase('migrate_8', { create: false }));
    // The superuser only creates the database (as db-prepare's DATABASE_ADMIN_URL does).
    const env = { DB_SCHEMA_MODE: 'migrate', DB_POOL_MAX: '2', DATABASE_ADMIN_URL: db.adminUrl.toString() };
    // startTestApp sets and restores process.env around each boot; with 8 overlapping boots the
    // restores interleave, so the same values are held for the whole batch and restored after.
    const held = { ...serviceEnv(db), ...env };
    const results = await withEnv(held, () =>
      Promise.allSettled(Array.from({ length: 8 }, () => startTestApp(db, env))),
    );
    const apps = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(apps).toHaveLength(8);
      await expect(appliedMigrations(db.url)).resolves.toEqual(MIGRATION_NAMES);
      await expect(schemaDrift(db.url)).resolves.toEqual([]);
      const created = await request(apps[7].baseUrl)
        .post('/books')
        .send({ title: 'Migrated', author: 'Eight Instances', isbn: '9780306406157', publishedYear: 2024 })
        .expect(201);
      await request(apps[0].baseUrl).get(`/books/${created.body.id}`).expect(200);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  it('db:prepare creates and migrates a fresh database, is idempotent, and is safe to run at once', async () => {
    const db = track(await createTestDatabase('db_prepare', { create: false }));
    // As operators run it: the serving and owner roles' URLs, and the superuser to create the database.
    const env = { NODE_ENV: 'production', ...serviceEnv(db), DATABASE_ADMIN_URL: db.adminUrl.toString() };

    const runs = await Promise.all([dbPrepare(env), dbPrepare(env), dbPrepare(env)]);
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0]);
    await expect(appliedMigrations(db.url)).resolves.toEqual(MIGRATION_NAMES);
    await expect(schemaDrift(db.url)).resolves.toEqual([]);
    // Production output is JSON lines; exactly one run applied the migrations.
    const lines = runs.flatMap((run) => run.output.trim().split('\n'));
    const messages = lines.map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages.filter((m) => m.startsWith('Applied migrations:'))).toHaveLength(1);
    expect(messages.filter((m) => m === 'Database prepared')).toHaveLength(3);

    const again = await dbPrepare(env);
    expect(again.code).toBe(0);
    expect(again.output).toContain('No pending migrations');
  });

  it('db:prepare fails with exit 1 and one line naming the problem, never the password', async () => {
    const embedded = adminUrl('embedded');
    const wrong = new URL(embedded.toString());
    wrong.password = encodeURIComponent('n0t-the:p@ssword');
    const target = new URL(wrong.toString());
    target.pathname = '/bookapi_test_db_prepare_never';

    const run = await dbPrepare({ DATABASE_URL: target.toString(), DATABASE_ADMIN_URL: wrong.toString() });

    expect(run.code).toBe(1);
    const lines = run.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/FATAL \(\d+\): \[DbPrepare\] db:prepare failed: Password authentication failed .*28P01/);
    for (const secret of ['n0t-the:p@ssword', wrong.password, decodeURIComponent(embedded.password)]) {
      expect(run.output).not.toContain(secret);
    }
  });
});
