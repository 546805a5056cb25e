import { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexConcurrently, quoteIdent, withLockTimeout } from './safe-migration';

const INDEXES = [
  { name: 'books_title_trgm_idx', column: 'title' },
  { name: 'books_author_trgm_idx', column: 'author' },
];

/**
 * Trigram GIN indexes for `GET /books?q=` (title or author ILIKE '%q%'): without them every
 * search reads the whole table (docs/decisions/0013-search-vector.md). The entity declares them with
 * `synchronize: false`, since TypeORM cannot describe a GIN opclass; `migration:generate`
 * therefore neither creates nor drops them.
 *
 * Built CONCURRENTLY, so reads and writes go on during the build; that cannot run in a
 * transaction, hence `transaction = false`. Rerunnable: IF NOT EXISTS, and an index left
 * INVALID by an interrupted build is rebuilt. A database where the earlier, transactional
 * version of this migration ran already has both indexes and never runs it again.
 *
 * pg_trgm ships with PostgreSQL and is a trusted extension (the database owner may create
 * it). Where it is missing or not allowed, the indexes are skipped with a warning: searches
 * still work, only slower.
 */
export class TrigramSearchIndexes1795636407651 implements MigrationInterface {
  name = 'TrigramSearchIndexes1795636407651';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`
        DO $$
        BEGIN
          CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
          RAISE WARNING 'pg_trgm unavailable (%); books.q searches will read the whole table', SQLERRM;
        END $$`);
      const [trgm] = (await queryRunner.query(
        `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS installed`,
      )) as { installed: boolean }[];
      if (!trgm.installed) return;
      for (const { name, column } of INDEXES) {
        await createIndexConcurrently(queryRunner, name, `ON "books" USING gin (${quoteIdent(column)} gin_trgm_ops)`);
      }
    });
  }

  /**
   * TypeORM's migration:revert opens a transaction even for `transaction = false`, where
   * CONCURRENTLY is refused: there the indexes are dropped plainly (a brief exclusive lock,
   * bounded by lock_timeout); `migration:revert -t none` drops them concurrently.
   */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const concurrently = queryRunner.isTransactionActive ? '' : 'CONCURRENTLY ';
    await withLockTimeout(queryRunner, this.name, async () => {
      for (const { name } of [...INDEXES].reverse()) {
        await queryRunner.query(`DROP INDEX ${concurrently}IF EXISTS ${quoteIdent(name)}`);
      }
      // pg_trgm stays: other objects may depend on it, and it holds no data.
    });
  }
}
