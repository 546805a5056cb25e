import { MigrationInterface, QueryRunner } from 'typeorm';
import { backfillInBatches, createIndexConcurrently, withLockTimeout } from './safe-migration';

/**
 * `GET /books?search=`: full-text search over a stored tsvector with a GIN index.
 *
 * The vector is the title (weight A) and the author (weight B) under the `simple` configuration:
 * titles and names come in many languages, and a language configuration would stem names
 * ("Hunt" = "Hunting") and drop stop words (a search for the book "It" would find nothing).
 * `simple` lower-cases and splits on non-letters, so what a client types is what is matched.
 *
 * A trigger keeps the column current rather than GENERATED ALWAYS: TypeORM tracks generated
 * columns in a side table keyed by database name, which the drift check would then disagree with.
 *
 * Never blocks traffic (docs/schema-changes.md): outside a transaction, so each step
 * holds its lock only for itself, each bounded by lock_timeout; existing rows are filled in
 * batches of short statements; the index is built CONCURRENTLY. Rerunnable at every step.
 */
export class BookSearchVector1796000000000 implements MigrationInterface {
  name = 'BookSearchVector1796000000000';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`ALTER TABLE "books" ADD COLUMN IF NOT EXISTS "search_vector" tsvector`);
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION books_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.search_vector :=
            setweight(to_tsvector('simple'::regconfig, coalesce(NEW.title, '')), 'A') ||
            setweight(to_tsvector('simple'::regconfig, coalesce(NEW.author, '')), 'B');
          RETURN NEW;
        END $$`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS "books_search_vector_trg" ON "books"`);
      await queryRunner.query(
        `CREATE TRIGGER "books_search_vector_trg" BEFORE INSERT OR UPDATE OF title, author ON "books"
         FOR EACH ROW EXECUTE FUNCTION books_search_vector()`,
      );
      // Existing rows: the trigger fires on this no-op update and fills the column.
      await backfillInBatches(queryRunner, {
        table: 'books',
        key: 'id',
        start: '00000000-0000-0000-0000-000000000000',
        set: 'title = title',
        where: 'search_vector IS NULL',
      });
      await createIndexConcurrently(queryRunner, 'books_search_vector_idx', 'ON "books" USING gin ("search_vector")');
    });
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      // Not CONCURRENTLY: TypeORM reverts inside a transaction whatever `transaction` says.
      await queryRunner.query(`DROP INDEX IF EXISTS "books_search_vector_idx"`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS "books_search_vector_trg" ON "books"`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS books_search_vector()`);
      await queryRunner.query(`ALTER TABLE "books" DROP COLUMN IF EXISTS "search_vector"`);
    });
  }
}
