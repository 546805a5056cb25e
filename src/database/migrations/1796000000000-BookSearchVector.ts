import { MigrationInterface, QueryRunner } from 'typeorm';

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
 * The index is built CONCURRENTLY (so no transaction) to keep writes flowing on a large table.
 */
export class BookSearchVector1796000000000 implements MigrationInterface {
  name = 'BookSearchVector1796000000000';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
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
    await queryRunner.query(`UPDATE "books" SET title = title WHERE search_vector IS NULL`);
    // A failed CONCURRENTLY build leaves an INVALID index that IF NOT EXISTS would keep.
    await queryRunner.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('books_search_vector_idx') AND NOT indisvalid) THEN
          DROP INDEX books_search_vector_idx;
        END IF;
      END $$`);
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "books_search_vector_idx" ON "books" USING gin ("search_vector")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Not CONCURRENTLY: TypeORM reverts inside a transaction whatever `transaction` says.
    await queryRunner.query(`DROP INDEX IF EXISTS "books_search_vector_idx"`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS "books_search_vector_trg" ON "books"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS books_search_vector()`);
    await queryRunner.query(`ALTER TABLE "books" DROP COLUMN IF EXISTS "search_vector"`);
  }
}
