import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../database/runtime/data-source-options';
import { backfillInBatches, createIndexConcurrently, withLockTimeout } from '../database/migrations/safe-migration';
import { lintMigrations } from './lint-migrations';
import { setsLockTimeoutFirst, unbatchedWrites } from './migration-sql';

/** A migration made of fixed statements, optionally inside withLockTimeout. */
function migration(name: string, statements: string[], options: { transaction?: false; lockTimeout?: boolean } = {}) {
  return {
    name,
    transaction: options.transaction,
    async up(queryRunner: QueryRunner) {
      const run = async () => {
        for (const sql of statements) await queryRunner.query(sql);
      };
      if (options.lockTimeout === false) await run();
      else await withLockTimeout(queryRunner, name, run);
    },
    async down() {},
  } as MigrationInterface;
}

describe('lint:migrations', () => {
  let outDir: string;
  beforeEach(() => (outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bookapi-lint-migrations-'))));
  afterEach(() => fs.rmSync(outDir, { recursive: true, force: true }));

  const rules = async (...migrations: MigrationInterface[]) =>
    (await lintMigrations(migrations, outDir)).map((f) => `${f.migration}: ${f.rule}`);

  it("passes this project's migrations", async () => {
    await expect(
      lintMigrations(
        MIGRATIONS.map((M) => new M()),
        outDir,
      ),
    ).resolves.toEqual([]);
  });

  it('fails a plain CREATE INDEX on an existing table (it blocks writes for the whole build)', async () => {
    await expect(
      rules(migration('PlainIndex', ['CREATE INDEX "books_x_idx" ON "books" ("title")'])),
    ).resolves.toContain('PlainIndex: require-concurrent-index-creation');
  });

  it('fails CREATE INDEX CONCURRENTLY in a migration TypeORM wraps in a transaction', async () => {
    await expect(
      rules(
        migration('ConcurrentInTx', ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "books_x_idx" ON "books" ("title")']),
      ),
    ).resolves.toContain('ConcurrentInTx: ban-concurrent-index-creation-in-transaction');
  });

  it('passes the same build with transaction = false, through createIndexConcurrently', async () => {
    const safe = {
      name: 'ConcurrentOutsideTx',
      transaction: false,
      up: (qr: QueryRunner) =>
        withLockTimeout(qr, 'ConcurrentOutsideTx', () =>
          createIndexConcurrently(qr, 'books_x_idx', 'ON "books" ("title")'),
        ),
      down: async () => {},
    } as MigrationInterface;
    await expect(rules(safe)).resolves.toEqual([]);
  });

  it('fails a migration that does not set lock_timeout first', async () => {
    const found = await rules(
      migration('NoLockTimeout', ['ALTER TABLE "books" ADD COLUMN "subtitle" text'], { lockTimeout: false }),
    );
    expect(found).toContain('NoLockTimeout: set-lock-timeout-first');
    expect(found).toContain('NoLockTimeout: require-lock-timeout');
  });

  it('fails changes that rewrite or scan the table under an exclusive lock', async () => {
    const found = await rules(
      migration('Rewrites', [
        'ALTER TABLE "books" ALTER COLUMN "summary" SET NOT NULL',
        'ALTER TABLE "books" ALTER COLUMN "page_count" TYPE bigint',
        'ALTER TABLE "books" ADD CONSTRAINT "books_year_check" CHECK ("published_year" > 0)',
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'Rewrites: adding-not-nullable-field',
        'Rewrites: changing-column-type',
        'Rewrites: constraint-missing-not-valid',
      ]),
    );
  });

  it('fails a table-wide backfill, and passes the same one in batches', async () => {
    await expect(
      rules(
        migration('OneShot', ['UPDATE "books" SET title = title WHERE search_vector IS NULL'], { transaction: false }),
      ),
    ).resolves.toContain('OneShot: unbatched-backfill');
    const batched = {
      name: 'Batched',
      transaction: false,
      up: (qr: QueryRunner) =>
        withLockTimeout(qr, 'Batched', () =>
          backfillInBatches(qr, {
            table: 'books',
            key: 'id',
            start: '00000000-0000-0000-0000-000000000000',
            set: 'title = title',
            where: 'summary IS NULL',
          }),
        ),
      down: async () => {},
    } as MigrationInterface;
    await expect(rules(batched)).resolves.toEqual([]);
  });

  it('lets indexes on a table created in the same migration be built plainly', async () => {
    await expect(
      rules(
        migration('NewTable', [
          'CREATE TABLE "shelves" ("id" uuid PRIMARY KEY, "name" text)',
          'CREATE INDEX "shelves_name_idx" ON "shelves" ("name")',
        ]),
      ),
    ).resolves.toEqual([]);
  });
});

describe('setsLockTimeoutFirst', () => {
  it('accepts SET [LOCAL] lock_timeout before the first other statement, after BEGIN or other SETs', () => {
    expect(setsLockTimeoutFirst("BEGIN;\nSET LOCAL lock_timeout = '5s';\nCREATE TABLE t (a int);\n")).toBe(true);
    expect(setsLockTimeoutFirst("SET statement_timeout = 0;\nSET lock_timeout = '5s';\nDROP INDEX x;\n")).toBe(true);
  });

  it('refuses it after DDL, or missing', () => {
    expect(setsLockTimeoutFirst("CREATE TABLE t (a int);\nSET lock_timeout = '5s';\n")).toBe(false);
    expect(setsLockTimeoutFirst('BEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n')).toBe(false);
  });
});

describe('unbatchedWrites', () => {
  it('finds UPDATE and DELETE statements, not batched WITH ... UPDATE ones', () => {
    const sql =
      'UPDATE t SET a = 1;\nWITH batch AS (SELECT id FROM t LIMIT 10) UPDATE t SET a = 1 WHERE id IN (SELECT id FROM batch);\ndelete from t;\n';
    expect(unbatchedWrites(sql)).toEqual(['UPDATE t SET a = 1', 'delete from t']);
  });
});
