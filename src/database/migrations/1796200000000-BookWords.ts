import { MigrationInterface, QueryRunner } from 'typeorm';
import { withLockTimeout, writeInBatches } from './safe-migration';

/** Books whose words one backfill statement writes. */
const BACKFILL_BATCH = 2_000;

/**
 * `book_words`: each book's search words (the lexemes of search_vector), one row per word and book,
 * keyed (word, book_id). GET /books?search= with several common words (books-list.query.ts) reads the
 * words' entries in book_id order and merges them, stopping at the SEARCH_RANKED-th book that has them
 * all. The GIN index cannot stop early: for two words it looks up each entry of the rarer one in the
 * commoner one's posting tree, all of them, before returning anything
 * (docs/decisions/0016-search-words-table.md).
 *
 * Triggers keep it current in the same transaction as the book: after an insert, after a change of
 * title or author (search_vector is set by the BEFORE trigger of BookSearchVector), after a delete
 * and after a TRUNCATE of books. The backfill below reads each batch FOR SHARE: a book changed or deleted
 * while the batch reads it is read as committed (or skipped), so no stale word is left behind; a
 * writer waits for one batch at most. The search checks each book's search_vector anyway.
 *
 * Never blocks traffic: the table is new; the triggers come first, so every write from then on
 * keeps it; existing books are filled in batches of short statements walking the primary key, each
 * holding its books' share locks (reads go on) only while it runs, and committing on its own. Rerunnable at every step.
 */
export class BookWords1796200000000 implements MigrationInterface {
  name = 'BookWords1796200000000';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`
        CREATE TABLE IF NOT EXISTS "book_words" (
          "word" text NOT NULL,
          "book_id" uuid NOT NULL,
          CONSTRAINT "book_words_pkey" PRIMARY KEY ("word", "book_id")
        )`);
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION book_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            DELETE FROM book_words WHERE word = ANY (tsvector_to_array(OLD.search_vector)) AND book_id = OLD.id;
            RETURN NULL;
          END IF;
          IF TG_OP = 'UPDATE' THEN
            DELETE FROM book_words
            WHERE word = ANY (tsvector_to_array(OLD.search_vector)) AND book_id = OLD.id
              AND NOT word = ANY (coalesce(tsvector_to_array(NEW.search_vector), '{}'));
          END IF;
          INSERT INTO book_words (word, book_id)
          SELECT w, NEW.id FROM unnest(tsvector_to_array(NEW.search_vector)) AS w
          ON CONFLICT DO NOTHING;
          RETURN NULL;
        END $$`);
      await queryRunner.query(`
        CREATE OR REPLACE FUNCTION book_words_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          TRUNCATE book_words;
          RETURN NULL;
        END $$`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS "book_words_sync_trg" ON "books"`);
      await queryRunner.query(
        `CREATE TRIGGER "book_words_sync_trg" AFTER INSERT OR DELETE OR UPDATE OF title, author ON "books"
         FOR EACH ROW EXECUTE FUNCTION book_words_sync()`,
      );
      await queryRunner.query(`DROP TRIGGER IF EXISTS "book_words_truncate_trg" ON "books"`);
      await queryRunner.query(
        `CREATE TRIGGER "book_words_truncate_trg" AFTER TRUNCATE ON "books"
         FOR EACH STATEMENT EXECUTE FUNCTION book_words_truncate()`,
      );
      await this.backfill(queryRunner);
      // Statistics, and the visibility map the merge's index-only scans need to be cheap (autovacuum keeps both).
      await queryRunner.query(`VACUUM (ANALYZE) "book_words"`);
    });
  }

  /** Existing books' words, BACKFILL_BATCH books per statement, in primary-key order. */
  private backfill(queryRunner: QueryRunner): Promise<void> {
    return writeInBatches(
      queryRunner,
      {
        table: 'books',
        key: 'id',
        start: '00000000-0000-0000-0000-000000000000',
        batchSize: BACKFILL_BATCH,
        columns: ['search_vector'],
        lockRows: true,
      },
      `INSERT INTO book_words (word, book_id)
       SELECT w, batch.id FROM batch, unnest(tsvector_to_array(batch.search_vector)) AS w
       ON CONFLICT DO NOTHING`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await withLockTimeout(queryRunner, this.name, async () => {
      await queryRunner.query(`DROP TRIGGER IF EXISTS "book_words_truncate_trg" ON "books"`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS "book_words_sync_trg" ON "books"`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS book_words_truncate()`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS book_words_sync()`);
      await queryRunner.query(`DROP TABLE IF EXISTS "book_words"`);
    });
  }
}
